using FacePipeline.Faces;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>Umeyama's least-squares similarity on known point sets.</summary>
public sealed class SimilarityTransformTests
{
    private static readonly FacePoint[] Points = [new(10, 20), new(55, 18), new(30, 42), new(14, 70), new(50, 68)];

    [Fact]
    public void Recovers_a_known_rotation_scale_and_translation()
    {
        SimilarityTransform known = SimilarityTransform.FromParts(1.7, 0.3, 12, -5);
        FacePoint[] moved = Points.Select(known.Apply).ToArray();

        SimilarityTransform estimated = SimilarityTransform.Estimate(Points, moved);

        Assert.Equal(1.7, estimated.Scale, 1e-5);
        Assert.Equal(0.3, estimated.RotationRadians, 1e-5);
        Assert.Equal(12, estimated.Tx, 1e-3);
        Assert.Equal(-5, estimated.Ty, 1e-3);
    }

    [Fact]
    public void Is_the_least_squares_fit_when_points_disagree()
    {
        // A square mapped onto a narrower rectangle: no similarity fits exactly; the best uniform scale lies between.
        FacePoint[] from = [new(0, 0), new(2, 0), new(0, 2), new(2, 2)];
        FacePoint[] to = [new(0.1f, 0), new(1.9f, 0), new(0.1f, 2), new(1.9f, 2)];

        SimilarityTransform estimated = SimilarityTransform.Estimate(from, to);

        // Centred points p = (±1, ±1), q = (±0.9, ±1): A = Σ p·q / Σ|p|² = 4 × 1.9 / 8 = 0.95, B = 0, and the centroid
        // (1, 1) must map onto (1, 1): t = (1 − 0.95, 1 − 0.95).
        Assert.Equal(0.95, estimated.A, 1e-6);
        Assert.Equal(0, estimated.B, 1e-6);
        Assert.Equal(0.05, estimated.Tx, 1e-6);
        Assert.Equal(0.05, estimated.Ty, 1e-6);
    }

    [Fact]
    public void Never_reflects_and_its_inverse_undoes_it()
    {
        // A mirrored point set: the best similarity without reflection cannot reproduce it, and keeps a positive scale.
        FacePoint[] mirrored = Points.Select(p => new FacePoint(-p.X, p.Y)).ToArray();
        SimilarityTransform estimated = SimilarityTransform.Estimate(Points, mirrored);
        Assert.True(estimated.Scale < 1);

        SimilarityTransform known = SimilarityTransform.FromParts(0.8, -1.1, 3, 4);
        FacePoint back = known.Invert().Apply(known.Apply(new FacePoint(7, -9)));
        Assert.Equal(7, back.X, 1e-4f);
        Assert.Equal(-9, back.Y, 1e-4f);
    }

    [Fact]
    public void Refuses_too_few_or_coincident_points()
    {
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate([new FacePoint(1, 1)], [new FacePoint(2, 2)]));
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate([new FacePoint(1, 1), new FacePoint(1, 1)], [new FacePoint(2, 2), new FacePoint(3, 3)]));
    }
}
