using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FacePipeline.Faces;

/// <summary>
/// Aligns a detected face onto a <see cref="FaceGeometry"/>: one least-squares similarity from the face's landmarks to
/// the template (<see cref="SimilarityTransform.Estimate"/>), then one bilinear resampling of the original image into
/// the output size, like InsightFace's <c>norm_crop</c> (OpenCV <c>warpAffine</c>, black border).
/// </summary>
public static class FaceAligner
{
    /// <summary>The similarity that maps image pixels of <paramref name="face"/> onto the template of <paramref name="geometry"/>.</summary>
    public static SimilarityTransform Estimate(DetectedFace face, FaceGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        (IReadOnlyList<FacePoint> image, IReadOnlyList<FacePoint> template) = geometry.Correspondences(face);
        return SimilarityTransform.Estimate(image, template);
    }

    /// <summary>The aligned crop of <paramref name="face"/>, <see cref="FaceGeometry.WidthPx"/>×<see cref="FaceGeometry.HeightPx"/>.</summary>
    public static Image<Rgb24> Align(Image<Rgb24> image, DetectedFace face, FaceGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        return Warp(image, Estimate(face, geometry), geometry.WidthPx, geometry.HeightPx);
    }

    /// <summary>
    /// Resamples <paramref name="image"/> through <paramref name="imageToOutput"/> into a new
    /// <paramref name="widthPx"/>×<paramref name="heightPx"/> image. Each output pixel (u, v) takes the bilinear
    /// interpolation of the source at the inverse-mapped point; pixel centres are at integer coordinates (OpenCV's
    /// convention, which the ArcFace template uses); neighbours outside the source count as black.
    /// </summary>
    public static Image<Rgb24> Warp(Image<Rgb24> image, SimilarityTransform imageToOutput, int widthPx, int heightPx)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(widthPx, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heightPx, 1);
        int sourceWidth = image.Width;
        int sourceHeight = image.Height;
        var source = new Rgb24[sourceWidth * sourceHeight];
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                accessor.GetRowSpan(y).CopyTo(source.AsSpan(y * sourceWidth, sourceWidth));
            }
        });

        SimilarityTransform outputToImage = imageToOutput.Invert();
        var output = new Rgb24[widthPx * heightPx];
        for (int v = 0; v < heightPx; v++)
        {
            for (int u = 0; u < widthPx; u++)
            {
                (double x, double y) = outputToImage.Apply(u, v);
                output[(v * widthPx) + u] = Sample(source, sourceWidth, sourceHeight, x, y);
            }
        }

        return Image.LoadPixelData<Rgb24>(output, widthPx, heightPx);
    }

    private static Rgb24 Sample(Rgb24[] source, int width, int height, double x, double y)
    {
        int x0 = (int)Math.Floor(x);
        int y0 = (int)Math.Floor(y);
        if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height)
        {
            return default;
        }

        double fx = x - x0;
        double fy = y - y0;
        double r = 0, g = 0, b = 0;
        Accumulate(source, width, height, x0, y0, (1 - fx) * (1 - fy), ref r, ref g, ref b);
        Accumulate(source, width, height, x0 + 1, y0, fx * (1 - fy), ref r, ref g, ref b);
        Accumulate(source, width, height, x0, y0 + 1, (1 - fx) * fy, ref r, ref g, ref b);
        Accumulate(source, width, height, x0 + 1, y0 + 1, fx * fy, ref r, ref g, ref b);
        return new Rgb24(ToByte(r), ToByte(g), ToByte(b));
    }

    private static void Accumulate(Rgb24[] source, int width, int height, int x, int y, double weight, ref double r, ref double g, ref double b)
    {
        if (x < 0 || y < 0 || x >= width || y >= height || weight == 0)
        {
            return;
        }

        Rgb24 pixel = source[(y * width) + x];
        r += pixel.R * weight;
        g += pixel.G * weight;
        b += pixel.B * weight;
    }

    private static byte ToByte(double value) => (byte)Math.Clamp((int)Math.Round(value, MidpointRounding.AwayFromZero), 0, 255);
}
