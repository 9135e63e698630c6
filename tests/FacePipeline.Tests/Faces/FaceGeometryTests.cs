using FacePipeline.Faces;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>The ArcFace template, the generic geometry and the points a detector shares with them.</summary>
public sealed class FaceGeometryTests
{
    [Fact]
    public void Arcface_112_is_insightfaces_five_point_template()
    {
        FaceGeometry arcface = FaceGeometry.Resolve("arcface-112", 112, 112);

        Assert.Equal(112, arcface.WidthPx);
        Assert.Equal(FaceLandmarkNames.FivePoint, arcface.Points.Select(p => p.Name));
        Assert.Equal(new FacePoint(38.2946f, 51.6963f), arcface.Points[0].Point);
        Assert.Equal(new FacePoint(73.5318f, 51.5014f), arcface.Points[1].Point);
        Assert.Equal(new FacePoint(56.0252f, 71.7366f), arcface.Points[2].Point);
        Assert.Equal(new FacePoint(41.5493f, 92.3655f), arcface.Points[3].Point);
        Assert.Equal(new FacePoint(70.7299f, 92.2041f), arcface.Points[4].Point);
    }

    [Fact]
    public void Generic_geometry_puts_the_template_inside_the_margin_with_level_eyes()
    {
        FaceGeometry generic = FaceGeometry.Resolve("generic", 224, 224);

        float margin = 224 * FaceGeometry.GenericMarginFraction;
        Assert.All(generic.Points, p => Assert.InRange(p.Point.X, margin, 224 - margin));
        Assert.All(generic.Points, p => Assert.InRange(p.Point.Y, margin, 224 - margin));
        Assert.True(generic.TryGetPoint(FaceLandmarkNames.RightEye, out FacePoint right));
        Assert.True(generic.TryGetPoint(FaceLandmarkNames.LeftEye, out FacePoint left));
        Assert.InRange(MathF.Abs(right.Y - left.Y), 0, 0.5f);
        Assert.Equal(28 + (38.2946f * 168 / 112), right.X, 1e-3f);
    }

    [Fact]
    public void An_unknown_template_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => FaceGeometry.Resolve("vggface", 224, 224));
        Assert.Contains("arcface-112, generic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blazeface_points_map_through_eyes_nose_and_the_mouth_corners_midpoint()
    {
        var face = new DetectedFace(new FaceBox(0, 0, 10, 10), 0.9f,
        [
            new(FaceLandmarkNames.RightEye, new FacePoint(1, 1)),
            new(FaceLandmarkNames.LeftEye, new FacePoint(2, 1)),
            new(FaceLandmarkNames.NoseTip, new FacePoint(1.5f, 2)),
            new(FaceLandmarkNames.MouthCenter, new FacePoint(1.5f, 3)),
            new(FaceLandmarkNames.RightEarTragion, new FacePoint(0, 1)),
            new(FaceLandmarkNames.LeftEarTragion, new FacePoint(3, 1)),
        ]);

        (IReadOnlyList<FacePoint> image, IReadOnlyList<FacePoint> template) = FaceGeometry.Arcface().Correspondences(face);

        Assert.Equal(4, image.Count);
        Assert.Null(face.FivePoint);
        Assert.Equal(new FacePoint(1.5f, 3), image[3]);
        Assert.Equal((41.5493f + 70.7299f) / 2, template[3].X, 1e-4f);
        Assert.Equal((92.3655f + 92.2041f) / 2, template[3].Y, 1e-4f);
    }
}
