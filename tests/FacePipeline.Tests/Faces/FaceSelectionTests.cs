using FacePipeline.Faces;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>The one-face policy: the largest face by its visible area, ties by score.</summary>
public sealed class FaceSelectionTests
{
    private static DetectedFace Face(float x, float y, float size, float score) => new(new FaceBox(x, y, size, size), score, []);

    [Fact]
    public void Keeps_the_largest_visible_face_not_the_most_confident()
    {
        DetectedFace central = Face(40, 40, 60, 0.80f);
        DetectedFace confidentSmall = Face(110, 10, 30, 0.95f);

        Assert.Same(central, FaceSelection.Largest([confidentSmall, central], 150, 150));
    }

    [Fact]
    public void A_face_cut_by_the_frame_counts_only_its_visible_part()
    {
        DetectedFace central = Face(45, 40, 55, 0.80f);           // 3 025 px² visible
        DetectedFace cutOff = Face(-40, 20, 80, 0.90f);          // a 6 400 px² box, 40 × 80 = 3 200 px² visible
        DetectedFace mostlyOutside = Face(-60, 20, 80, 0.95f);   // 20 × 80 = 1 600 visible

        Assert.Same(cutOff, FaceSelection.Largest([central, cutOff], 150, 150));
        Assert.Same(central, FaceSelection.Largest([central, mostlyOutside], 150, 150));
        Assert.Equal(1600f, FaceSelection.VisibleArea(mostlyOutside.Box, 150, 150));
    }

    [Fact]
    public void Ties_go_to_the_higher_score_and_no_face_gives_null()
    {
        DetectedFace a = Face(0, 0, 50, 0.7f);
        DetectedFace b = Face(60, 0, 50, 0.9f);

        Assert.Same(b, FaceSelection.Largest([a, b], 150, 150));
        Assert.Null(FaceSelection.Largest([], 150, 150));
    }
}
