using FacePipeline.Dataset;
using FacePipeline.Imaging;
using Onnx;

namespace FacePipeline.Backbones;

/// <summary>
/// A backbone ready to use: its description, the model file it points at, the resolved preprocessing (mean image
/// loaded) and its identity. Creating one hashes the model file; it does not start ONNX Runtime.
/// </summary>
public sealed class Backbone
{
    /// <summary>Images per inference batch for backbones whose description names no <c>batch_size</c>.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>The <c>pretrained</c> value of a description whose weights are random.</summary>
    public const string NotPretrained = "none";

    private Backbone(BackboneDescription description, string descriptionPath, string modelPath, Preprocessing preprocessing, BackboneIdentity identity)
    {
        Description = description;
        DescriptionPath = descriptionPath;
        ModelPath = modelPath;
        Preprocessing = preprocessing;
        Identity = identity;
    }

    /// <summary>The description as read.</summary>
    public BackboneDescription Description { get; }

    /// <summary>Full path of the description JSON.</summary>
    public string DescriptionPath { get; }

    /// <summary>Full path of the ONNX model.</summary>
    public string ModelPath { get; }

    /// <summary>Preprocessing with everything resolved (mean image loaded).</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>Identity recorded in caches and heads.</summary>
    public BackboneIdentity Identity { get; }

    /// <summary>Images per inference batch when the user gives none: the description's <c>batch_size</c>, else <see cref="DefaultBatchSize"/>.</summary>
    public int PreferredBatchSize => Description.BatchSize ?? DefaultBatchSize;

    /// <summary>
    /// A line for people when the description says the weights are not pretrained (<c>"pretrained": "none"</c>: test
    /// fixtures, <c>export-vgg16-notop.sh --weights random</c>), else null. Programs print it when they run the backbone.
    /// </summary>
    public string? NotPretrainedWarning => string.Equals(Description.Pretrained, NotPretrained, StringComparison.OrdinalIgnoreCase)
        ? $"warning: backbone {Description.Name} is not pretrained (\"pretrained\": \"none\" in {DescriptionPath}); its random weights give features for tests only"
        : null;

    /// <summary>Loads the description at <paramref name="descriptionPath"/>, checks its model exists and hashes it.</summary>
    /// <exception cref="BackboneException">Description or model missing or invalid.</exception>
    public static Backbone Load(string descriptionPath)
    {
        string fullPath = Path.GetFullPath(descriptionPath);
        BackboneDescription description = BackboneDescription.Load(fullPath);
        string folder = Path.GetDirectoryName(fullPath)!;
        string modelPath = Path.GetFullPath(Path.Combine(folder, description.Model));
        if (!File.Exists(modelPath))
        {
            throw new BackboneException($"{modelPath}: model file not found (named by {fullPath})");
        }

        BackboneDescription.PreprocessingSpec spec = description.Preprocessing;
        var preprocessing = new Preprocessing
        {
            WidthPx = description.Input.Width,
            HeightPx = description.Input.Height,
            Resize = spec.Resize,
            ChannelOrder = spec.ChannelOrder,
            Layout = description.Input.Layout,
            Scale = spec.Scale,
            Mean = spec.Mean?.ToArray(),
            Std = spec.Std?.ToArray(),
            MeanImage = spec.MeanImage is null ? null : ReadMeanImage(folder, spec.MeanImage, description.Input),
            MeanImageSource = spec.MeanImage is null ? null : $"{Path.GetFileName(spec.MeanImage.Onnx)}:{spec.MeanImage.Initializer}",
        };
        var identity = new BackboneIdentity(
            description.Name,
            ContentHash.OfFile(modelPath),
            preprocessing.Describe(),
            $"{description.Input.Width}x{description.Input.Height}",
            description.FeatureShape.ToArray(),
            description.Output.Normalize == FeatureNormalization.L2 ? "l2" : BackboneIdentity.NoNormalization);
        return new Backbone(description, fullPath, modelPath, preprocessing, identity);
    }

    private static float[] ReadMeanImage(string folder, BackboneDescription.MeanImageSpec spec, BackboneDescription.InputSpec input)
    {
        string onnxPath = Path.GetFullPath(Path.Combine(folder, spec.Onnx));
        if (!File.Exists(onnxPath))
        {
            throw new BackboneException($"{onnxPath}: mean-image model not found");
        }

        ModelProto model = OnnxModelFile.Read(onnxPath);

        TensorProto tensor = model.Graph.Initializer.FirstOrDefault(t => t.Name == spec.Initializer)
            ?? throw new BackboneException($"{onnxPath}: no initializer named '{spec.Initializer}'");
        float[] values = tensor.FloatData.Count > 0
            ? tensor.FloatData.ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        int expected = 3 * input.Width * input.Height;
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float || values.Length != expected)
        {
            throw new BackboneException($"{onnxPath}: initializer '{spec.Initializer}' must be {expected} float32 values, found {values.Length}");
        }

        return values;
    }
}
