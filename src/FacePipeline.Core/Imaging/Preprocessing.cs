using System.Globalization;
using System.Text;

namespace FacePipeline.Imaging;

/// <summary>
/// Everything that turns decoded 8-bit RGB pixels into a backbone's input tensor, as data:
/// <c>value = (pixel * Scale - meanImage[c, y, x] - mean[c]) / std[c]</c>, channels in <see cref="ChannelOrder"/>,
/// each term present only when configured. This is the one description used by both extraction and prediction.
/// </summary>
public sealed record Preprocessing
{
    /// <summary>Resize mode when a description names none.</summary>
    public const ResizeMode DefaultResize = ResizeMode.Stretch;

    /// <summary>Channel order when a description names none.</summary>
    public const ChannelOrder DefaultChannelOrder = ChannelOrder.Rgb;

    /// <summary>Tensor layout when a description names none.</summary>
    public const TensorLayout DefaultLayout = TensorLayout.Nchw;

    /// <summary>Pixel scale when a description names none (0–255 values unchanged).</summary>
    public const float DefaultScale = 1f;

    /// <summary>Target width in pixels.</summary>
    public required int WidthPx { get; init; }

    /// <summary>Target height in pixels.</summary>
    public required int HeightPx { get; init; }

    /// <summary>How the image reaches the target size.</summary>
    public ResizeMode Resize { get; init; } = DefaultResize;

    /// <summary>Channel order of the tensor.</summary>
    public ChannelOrder ChannelOrder { get; init; } = DefaultChannelOrder;

    /// <summary>Tensor layout.</summary>
    public TensorLayout Layout { get; init; } = DefaultLayout;

    /// <summary>Factor applied to the 0–255 pixel value first (1 for Caffe-style models, 1/255 for torchvision).</summary>
    public float Scale { get; init; } = DefaultScale;

    /// <summary>Per-channel mean subtracted after scaling, in tensor channel order; null for none.</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by after the mean, in tensor channel order; null for none.</summary>
    public IReadOnlyList<float>? Std { get; init; }

    /// <summary>
    /// Per-pixel mean image subtracted after scaling, planar [channel, y, x] in tensor channel order
    /// (length 3 × height × width); null for none.
    /// </summary>
    public float[]? MeanImage { get; init; }

    /// <summary>Where <see cref="MeanImage"/> came from, for the description (e.g. <c>ResNetPreprocess.onnx:MeanImage</c>).</summary>
    public string? MeanImageSource { get; init; }

    /// <summary>Number of floats one image occupies in the tensor.</summary>
    public int TensorLength => 3 * WidthPx * HeightPx;

    /// <summary>
    /// A stable one-line description of this preprocessing, recorded in caches and heads so that a mismatch can be detected.
    /// </summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"size={WidthPx}x{HeightPx};resize={Resize};order={ChannelOrder};layout={Layout};scale={Scale:R}");
        if (Mean is not null)
        {
            text.Append(";mean=").Append(string.Join(',', Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }

        if (Std is not null)
        {
            text.Append(";std=").Append(string.Join(',', Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }

        if (MeanImage is not null)
        {
            text.Append(";mean_image=").Append(MeanImageSource ?? "inline");
        }

        return text.ToString();
    }
}
