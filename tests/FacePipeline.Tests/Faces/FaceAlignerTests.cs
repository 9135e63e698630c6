using FacePipeline.Faces;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>The bilinear warp against hand-computed pixels, and alignment landing synthetic eyes on the template.</summary>
public sealed class FaceAlignerTests
{
    /// <summary>3×2: (0,0,0) (100,50,10) (200,100,20) / (40,40,40) (140,90,50) (240,140,60).</summary>
    private static Image<Rgb24> Source() => Image.LoadPixelData<Rgb24>(
        new Rgb24[] { new(0, 0, 0), new(100, 50, 10), new(200, 100, 20), new(40, 40, 40), new(140, 90, 50), new(240, 140, 60) }, 3, 2);

    [Fact]
    public void Half_pixel_shift_averages_horizontal_neighbours()
    {
        using Image<Rgb24> source = Source();

        // output = image − (0.5, 0): output (u, v) samples the source at (u + 0.5, v).
        using Image<Rgb24> output = FaceAligner.Warp(source, new SimilarityTransform(1, 0, -0.5, 0), 2, 2);

        Assert.Equal(new Rgb24(50, 25, 5), output[0, 0]);
        Assert.Equal(new Rgb24(150, 75, 15), output[1, 0]);
        Assert.Equal(new Rgb24(90, 65, 45), output[0, 1]);
        Assert.Equal(new Rgb24(190, 115, 55), output[1, 1]);
    }

    [Fact]
    public void Enlarging_interpolates_between_four_pixels_and_outside_is_black()
    {
        using Image<Rgb24> source = Source();

        // output = 2 × image: output (1, 1) samples (0.5, 0.5), the mean of the four top-left pixels.
        using Image<Rgb24> output = FaceAligner.Warp(source, new SimilarityTransform(2, 0, 0, 0), 6, 4);

        Assert.Equal(new Rgb24(0, 0, 0), output[0, 0]);
        Assert.Equal(new Rgb24(50, 25, 5), output[1, 0]);
        Assert.Equal(new Rgb24(70, 45, 25), output[1, 1]);
        Assert.Equal(new Rgb24(100, 50, 10), output[2, 0]);

        // (2.5, 0) lies half outside the right edge: half of (200, 100, 20).
        Assert.Equal(new Rgb24(100, 50, 10), output[5, 0]);
        // (0, 1.5) lies half below the bottom edge: half of (40, 40, 40); (0, 3) is wholly outside.
        Assert.Equal(new Rgb24(20, 20, 20), output[0, 3]);
        using Image<Rgb24> shifted = FaceAligner.Warp(source, new SimilarityTransform(1, 0, 0, -5), 2, 2);
        Assert.Equal(new Rgb24(0, 0, 0), shifted[1, 1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Aligned_crop_lands_synthetic_eyes_where_the_template_says(bool blazefacePoints)
    {
        FaceGeometry arcface = FaceGeometry.Arcface();

        // A tilted, scaled face in the middle of a 400×400 image: its landmarks are the template mapped back through a
        // known similarity (translation chosen so that the template centre (56, 56) comes from the image centre).
        SimilarityTransform imageToTemplate = SimilarityTransform.FromParts(0.6, 0.35, -15.6, -97.9);
        SimilarityTransform templateToImage = imageToTemplate.Invert();
        List<FaceLandmark> landmarks = arcface.Points.Select(p => p with { Point = templateToImage.Apply(p.Point) }).ToList();
        if (blazefacePoints)
        {
            FacePoint right = landmarks[3].Point, left = landmarks[4].Point;
            landmarks = [landmarks[0], landmarks[1], landmarks[2], new(FaceLandmarkNames.MouthCenter, new FacePoint((right.X + left.X) / 2, (right.Y + left.Y) / 2))];
        }

        using var image = new Image<Rgb24>(400, 400, new Rgb24(200, 200, 200));
        foreach (FaceLandmark eye in landmarks.Take(2))
        {
            Disc(image, eye.Point, radius: 6);
        }

        var face = new DetectedFace(new FaceBox(0, 0, 1, 1), 1, landmarks);
        using Image<Rgb24> aligned = FaceAligner.Align(image, face, arcface);

        Assert.Equal(112, aligned.Width);
        FacePoint rightEye = DarkCentroid(aligned, 0, 56);
        FacePoint leftEye = DarkCentroid(aligned, 56, 112);
        Assert.InRange(rightEye.X, 38.2946f - 1, 38.2946f + 1);
        Assert.InRange(rightEye.Y, 51.6963f - 1, 51.6963f + 1);
        Assert.InRange(leftEye.X, 73.5318f - 1, 73.5318f + 1);
        Assert.InRange(leftEye.Y, 51.5014f - 1, 51.5014f + 1);
    }

    private static void Disc(Image<Rgb24> image, FacePoint centre, float radius)
    {
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                if (((x - centre.X) * (x - centre.X)) + ((y - centre.Y) * (y - centre.Y)) <= radius * radius)
                {
                    image[x, y] = new Rgb24(0, 0, 0);
                }
            }
        }
    }

    /// <summary>Darkness-weighted centroid of the pixels darker than the background in columns [from, to).</summary>
    private static FacePoint DarkCentroid(Image<Rgb24> image, int from, int to)
    {
        double sum = 0, sx = 0, sy = 0;
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = from; x < to; x++)
            {
                double weight = Math.Max(0, 200 - image[x, y].R);
                sum += weight;
                sx += weight * x;
                sy += weight * y;
            }
        }

        Assert.True(sum > 0, "no dark pixels: the eye left the crop");
        return new FacePoint((float)(sx / sum), (float)(sy / sum));
    }
}
