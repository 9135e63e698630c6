using FacePipeline.Faces;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>Hard NMS keeps the right boxes; weighted NMS averages a cluster by score.</summary>
public sealed class NonMaxSuppressionTests
{
    private static DetectedFace Face(float x, float y, float score, float landmarkX = 0) =>
        new(new FaceBox(x, y, 10, 10), score, [new FaceLandmark(FaceLandmarkNames.NoseTip, new FacePoint(landmarkX, 5))]);

    [Fact]
    public void Hard_nms_keeps_the_best_box_of_a_cluster_and_separate_boxes()
    {
        DetectedFace weaker = Face(1, 1, 0.8f);     // IoU with best = 81 / 119 = 0.68
        DetectedFace separate = Face(20, 20, 0.7f);
        DetectedFace best = Face(0, 0, 0.9f);

        IReadOnlyList<DetectedFace> kept = NonMaxSuppression.Hard([weaker, separate, best], 0.3f);

        Assert.Equal([best, separate], kept);
    }

    [Fact]
    public void Hard_nms_keeps_an_overlap_below_the_threshold_and_honours_top_k()
    {
        DetectedFace best = Face(0, 0, 0.9f);
        DetectedFace slight = Face(8, 0, 0.8f); // IoU 20 / 180 = 0.11

        Assert.Equal([best, slight], NonMaxSuppression.Hard([slight, best], 0.3f));
        Assert.Equal([best], NonMaxSuppression.Hard([slight, best], 0.3f, topK: 1));
    }

    [Fact]
    public void Weighted_nms_averages_box_corners_and_landmarks_by_score_and_keeps_the_best_score()
    {
        DetectedFace best = Face(0, 0, 0.75f, landmarkX: 4);
        DetectedFace other = Face(2, 0, 0.25f, landmarkX: 8); // IoU 80 / 120 = 0.67
        DetectedFace separate = Face(40, 0, 0.6f, landmarkX: 45);

        IReadOnlyList<DetectedFace> merged = NonMaxSuppression.Weighted([other, separate, best], 0.3f);

        Assert.Equal(2, merged.Count);
        DetectedFace face = merged[0];
        Assert.Equal(0.75f, face.Score);
        Assert.Equal(0.5f, face.Box.X, 1e-5f);      // (0 * 0.75 + 2 * 0.25) / 1
        Assert.Equal(10.5f, face.Box.Right, 1e-5f); // (10 * 0.75 + 12 * 0.25) / 1
        Assert.Equal(10f, face.Box.Height, 1e-5f);
        Assert.Equal(5f, face.Landmarks[0].Point.X, 1e-5f); // (4 * 0.75 + 8 * 0.25) / 1
        Assert.Equal(separate.Score, merged[1].Score);
        Assert.Equal(separate.Box.X, merged[1].Box.X, 1e-4f);
        Assert.Equal(separate.Box.Width, merged[1].Box.Width, 1e-4f);
    }
}
