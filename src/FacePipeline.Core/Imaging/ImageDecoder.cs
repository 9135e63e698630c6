using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FacePipeline.Imaging;

/// <summary>
/// Decodes any format ImageSharp reads (JPEG, PNG, GIF, BMP, PBM/PGM, TIFF, WebP, TGA; detected from the content, not
/// the extension), turns grey into three equal channels and resizes to a backbone's input size. Thread-safe.
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>Largest width or height accepted, in pixels; larger headers are refused before any pixel is decoded.</summary>
    public const int MaxSidePx = 16_384;

    /// <summary>Largest pixel count accepted (100 megapixels ≈ 300 MB decoded as RGB).</summary>
    public const long MaxPixels = 100_000_000;

    // Parallelism comes from decoding several images at once, so each decode stays on one thread.
    private readonly Configuration configuration;

    private readonly bool autoOrient;

    /// <summary>Creates a decoder.</summary>
    /// <param name="autoOrient">Whether images are turned as their EXIF orientation says (false only for features recorded before that was done).</param>
    public ImageDecoder(bool autoOrient = true)
    {
        this.autoOrient = autoOrient;
        configuration = Configuration.Default.Clone();
        configuration.MaxDegreeOfParallelism = 1;
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> and resizes to <paramref name="preprocessing"/>'s size and resize mode.
    /// </summary>
    /// <returns>Interleaved RGB bytes, WidthPx × HeightPx × 3.</returns>
    /// <exception cref="ImageDecodeException">The bytes are empty, not an image, truncated, corrupt or too large.</exception>
    public byte[] DecodeResized(byte[] bytes, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        using Image<Rgb24> image = Decode(bytes);
        image.Mutate(context => context.Resize(new ResizeOptions
        {
            Size = new Size(preprocessing.WidthPx, preprocessing.HeightPx),
            Mode = preprocessing.Resize == ResizeMode.CenterCrop
                ? SixLabors.ImageSharp.Processing.ResizeMode.Crop
                : SixLabors.ImageSharp.Processing.ResizeMode.Stretch,
            Position = AnchorPositionMode.Center,
        }));
        var rgb = new byte[preprocessing.TensorLength];
        image.CopyPixelDataTo(rgb);
        return rgb;
    }

    /// <summary>Decodes <paramref name="bytes"/> at full size (what the face stage detects on), with the same checks as <see cref="DecodeResized"/>.</summary>
    /// <exception cref="ImageDecodeException">The bytes are empty, not an image, truncated, corrupt or too large.</exception>
    public Image<Rgb24> Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
        {
            throw new ImageDecodeException("empty file (0 bytes)");
        }

        (IImageInfo? info, IImageFormat? format) = CallDecoder(
            () => (Image.Identify(configuration, bytes, out IImageFormat? found), found), "unreadable image header");
        if (info is null || format is null)
        {
            throw new ImageDecodeException("not an image in a supported format (JPEG, PNG, GIF, BMP, PBM/PGM, TIFF, WebP, TGA)");
        }

        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageDecodeException($"invalid dimensions {info.Width}x{info.Height}");
        }

        if (info.Width > MaxSidePx || info.Height > MaxSidePx || (long)info.Width * info.Height > MaxPixels)
        {
            throw new ImageDecodeException(
                $"image too large: {info.Width}x{info.Height} pixels (limit {MaxSidePx} per side, {MaxPixels / 1_000_000} megapixels)");
        }

        // Before decoding: ImageSharp allocates what the header claims, fills missing data with zeros, and its PGM
        // decoder divides by the maxval.
        string? problem = EncodedImageCheck.Problem(bytes, format, info.Width, info.Height);
        if (problem is not null)
        {
            throw new ImageDecodeException(problem);
        }

        Image<Rgb24> image = BinaryNetpbmDecoder.TryDecode(bytes) ?? Load(bytes, format);
        // Phone photos store the pixels sideways and say so in EXIF: turn them the way a viewer shows them, so the face
        // stage, the backbone and the face boxes all see (and report) the displayed image.
        if (autoOrient)
        {
            image.Mutate(context => context.AutoOrient());
        }

        return image;
    }

    /// <summary>
    /// Decodes one still image as RGB. An animated image is refused (which frame shows the person is unknown), and an
    /// image with an alpha channel is laid over white, as a viewer shows it; one with nothing visible is refused
    /// instead of being recognised from the colours its transparent pixels happen to hold.
    /// </summary>
    private Image<Rgb24> Load(byte[] bytes, IImageFormat format)
    {
        // The header's pixel type misses palette transparency (PNG tRNS, GIF), so only formats without alpha skip the check.
        if (format is SixLabors.ImageSharp.Formats.Jpeg.JpegFormat or SixLabors.ImageSharp.Formats.Pbm.PbmFormat)
        {
            Image<Rgb24> opaque = CallDecoder(() => Image.Load<Rgb24>(configuration, bytes), "corrupt or truncated image");
            return EnsureStill(opaque);
        }

        using Image<Rgba32> rgba = EnsureStill(CallDecoder(() => Image.Load<Rgba32>(configuration, bytes), "corrupt or truncated image"));
        bool anyVisible = false;
        rgba.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height && !anyVisible; y++)
            {
                foreach (Rgba32 pixel in rows.GetRowSpan(y))
                {
                    if (pixel.A != 0)
                    {
                        anyVisible = true;
                        break;
                    }
                }
            }
        });
        if (!anyVisible)
        {
            throw new ImageDecodeException("fully transparent image: nothing is visible in it");
        }

        rgba.Mutate(context => context.BackgroundColor(Color.White));
        return rgba.CloneAs<Rgb24>();
    }

    private static Image<TPixel> EnsureStill<TPixel>(Image<TPixel> image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (image.Frames.Count > 1)
        {
            int frames = image.Frames.Count;
            image.Dispose();
            throw new ImageDecodeException($"animated image ({frames} frames): which frame shows the person is unknown; save that frame as a still image");
        }

        return image;
    }

    /// <summary>
    /// Runs one call into ImageSharp's decoders. Whatever they throw is the file's problem (a hostile file reaches
    /// code paths no one tested: maxval 0 divided by zero), so it becomes an <see cref="ImageDecodeException"/>
    /// with <paramref name="what"/> and the decoder's message; only running out of memory is not the file's fault.
    /// Our own code stays outside these calls, so its bugs still surface.
    /// </summary>
    internal static T CallDecoder<T>(Func<T> decoderCall, string what)
    {
        try
        {
            return decoderCall();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new ImageDecodeException($"{what} ({error.Message.TrimEnd('.')})", error);
        }
    }
}
