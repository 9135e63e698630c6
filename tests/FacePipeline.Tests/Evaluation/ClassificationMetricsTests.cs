using FacePipeline.Dataset;
using FacePipeline.Evaluation;
using Xunit;

namespace FacePipeline.Tests.Evaluation;

public sealed class ClassificationMetricsTests
{
    private const double Tolerance = 1e-12;

    private static readonly string[] Abc = ["a", "b", "c"];

    // Eight samples over three classes:
    //   true:  a a a a b b c c
    //   top-1: a a a b b b c a
    // Confusion [true, predicted] over (a, b, c):
    //   a: 3 1 0   support 4
    //   b: 0 2 0   support 2
    //   c: 1 0 1   support 2
    //   predicted (column sums): a 4, b 3, c 1
    // Correct: 3 + 2 + 1 = 6 of 8 → accuracy 0.75.
    // a: P = 3/4,  R = 3/4,  F1 = 2·3/(4+4) = 0.75
    // b: P = 2/3,  R = 2/2,  F1 = 2·2/(2+3) = 0.8
    // c: P = 1/1,  R = 1/2,  F1 = 2·1/(2+1) = 2/3
    // Macro P  = (3/4 + 2/3 + 1) / 3 = (27 + 24 + 36) / 36 / 3 = 29/36
    // Macro R  = (3/4 + 1 + 1/2) / 3 = 0.75
    // Macro F1 = (3/4 + 4/5 + 2/3) / 3 = (45 + 48 + 40) / 60 / 3 = 133/180
    // Top-2: the (a → b) sample ranks a second (hit), the (c → a) sample ranks c only third (miss) → 7/8.
    private static readonly string[] ThreeClassTruth = ["a", "a", "a", "a", "b", "b", "c", "c"];

    private static readonly IReadOnlyList<string>[] ThreeClassRanked =
    [
        ["a", "b"], ["a"], ["a", "c"], ["b", "a"], ["b"], ["b", "c"], ["c", "a"], ["a", "b", "c"],
    ];

    [Fact]
    public void Compute_ThreeClasses_MatchesHandComputedMetrics()
    {
        ClassificationReport report = ClassificationMetrics.Compute(ThreeClassTruth, ThreeClassRanked, Abc, topK: 2);

        Assert.Equal(8, report.Count);
        Assert.Equal(0.75, report.Accuracy, Tolerance);
        Assert.Equal(2, report.TopK);
        Assert.Equal(7.0 / 8, report.TopKAccuracy, Tolerance);
        Assert.Equal(Abc, report.Labels);
        Assert.Equal([[3, 1, 0], [0, 2, 0], [1, 0, 1]], report.Confusion.ToDense());

        AssertClass(report.PerClass[0], "a", support: 4, predicted: 4, precision: 3.0 / 4, recall: 3.0 / 4, f1: 0.75);
        AssertClass(report.PerClass[1], "b", support: 2, predicted: 3, precision: 2.0 / 3, recall: 1.0, f1: 0.8);
        AssertClass(report.PerClass[2], "c", support: 2, predicted: 1, precision: 1.0, recall: 0.5, f1: 2.0 / 3);

        Assert.Equal(29.0 / 36, report.MacroPrecision, Tolerance);
        Assert.Equal(0.75, report.MacroRecall, Tolerance);
        Assert.Equal(133.0 / 180, report.MacroF1, Tolerance);
        Assert.Empty(report.UnseenLabels);
    }

    [Theory]
    [InlineData(1, 6.0 / 8)]
    [InlineData(2, 7.0 / 8)] // (a → b) ranks a second; (c → a) ranks [a, b, c], c only third
    [InlineData(3, 8.0 / 8)]
    [InlineData(10, 8.0 / 8)] // lists shorter than k are searched as they are
    public void Compute_TopK_CountsTrueLabelWithinFirstK(int topK, double expected)
    {
        ClassificationReport report = ClassificationMetrics.Compute(ThreeClassTruth, ThreeClassRanked, Abc, topK);

        Assert.Equal(expected, report.TopKAccuracy, Tolerance);
        Assert.Equal(6.0 / 8, report.Accuracy, Tolerance);
        Assert.Equal(topK, report.TopK);
    }

    [Fact]
    public void Compute_ZeroDivision_GivesZeroNotNaN()
    {
        // true: x x y; top-1: x z z. Labels (union) x, y, z.
        // Confusion: x: x1 y0 z1 | y: x0 y0 z1 | z: 0 0 0.   Predicted: x 1, y 0, z 2.
        // x: P = 1/1, R = 1/2, F1 = 2·1/(2+1) = 2/3
        // y: never predicted → P = 0 (zero_division); R = 0/1 = 0; F1 = 0
        // z: never true → R = 0 (zero_division); P = 0/2 = 0; F1 = 0
        // Macro P = 1/3, macro R = 1/6, macro F1 = 2/9; accuracy 1/3.
        ClassificationReport report = ClassificationMetrics.Compute(
            ["x", "x", "y"], [["x"], ["z"], ["z"]], ["x", "y", "z"], topK: 1);

        Assert.Equal(["x", "y", "z"], report.Labels);
        AssertClass(report.PerClass[0], "x", support: 2, predicted: 1, precision: 1.0, recall: 0.5, f1: 2.0 / 3);
        AssertClass(report.PerClass[1], "y", support: 1, predicted: 0, precision: 0.0, recall: 0.0, f1: 0.0);
        AssertClass(report.PerClass[2], "z", support: 0, predicted: 2, precision: 0.0, recall: 0.0, f1: 0.0);
        Assert.Equal(1.0 / 3, report.MacroPrecision, Tolerance);
        Assert.Equal(1.0 / 6, report.MacroRecall, Tolerance);
        Assert.Equal(2.0 / 9, report.MacroF1, Tolerance);
        Assert.Equal(1.0 / 3, report.Accuracy, Tolerance);
        Assert.Equal([[1, 0, 1], [0, 0, 1], [0, 0, 0]], report.Confusion.ToDense());
    }

    [Fact]
    public void Compute_UnseenTrueLabel_IsReportedAndCountsAsError()
    {
        // The model knows a and b; "c" only appears in the test set. Correct: sample 1 only → 1/3.
        ClassificationReport report = ClassificationMetrics.Compute(
            ["a", "b", "c"], [["a", "b"], ["a", "b"], ["b", "a"]], ["a", "b"], topK: 2);

        Assert.Equal(["c"], report.UnseenLabels);
        Assert.Equal(1.0 / 3, report.Accuracy, Tolerance);
        Assert.Equal(2.0 / 3, report.TopKAccuracy, Tolerance);
        Assert.Equal(Abc, report.Labels);
        Assert.Equal(1, report.PerClass[2].Support);
        Assert.Equal(0.0, report.PerClass[2].Recall);
    }

    [Fact]
    public void Compute_Labels_AreInNaturalOrder()
    {
        ClassificationReport report = ClassificationMetrics.Compute(
            ["s10", "s2", "s1", "s10"], [["s10"], ["s2"], ["s10"], ["s1"]], ["s1", "s2", "s10"], topK: 1);

        Assert.Equal(["s1", "s2", "s10"], report.Labels);
        // Rows s1, s2, s10; columns in the same order.
        Assert.Equal([[0, 0, 1], [0, 1, 0], [1, 0, 1]], report.Confusion.ToDense());
    }

    [Theory]
    [InlineData("s2", "s10", -1)]
    [InlineData("s10", "s9", 1)]
    [InlineData("s10", "s10", 0)]
    [InlineData("a", "b", -1)]
    [InlineData("s1", "s1a", -1)]
    [InlineData("s01", "s1", -1)] // equal numbers, then ordinal: '0' < '1'
    [InlineData("img2x", "img12a", -1)]
    [InlineData("s99999999999999999999999", "s100000000000000000000000", -1)]
    public void NaturalStringComparer_ComparesDigitRunsByValue(string x, string y, int expectedSign)
    {
        Assert.Equal(expectedSign, Math.Sign(NaturalStringComparer.Instance.Compare(x, y)));
        Assert.Equal(-expectedSign, Math.Sign(NaturalStringComparer.Instance.Compare(y, x)));
    }

    [Fact]
    public void Worst_ReturnsLowestF1WithSupport_TiesByLabel()
    {
        // true x x y w; top-1 x z z z. x: F1 2·1/(2+1) = 2/3; y and w: F1 0 with support 1;
        // z: F1 0 but support 0 → excluded.
        ClassificationReport report = ClassificationMetrics.Compute(
            ["x", "x", "y", "w"], [["x"], ["z"], ["z"], ["z"]], ["w", "x", "y", "z"], topK: 1);

        // w and y both have F1 0; w sorts first.
        Assert.Equal(["w", "y", "x"], report.Worst(5).Select(c => c.Label));
        Assert.Equal(["w"], report.Worst(1).Select(c => c.Label));
        Assert.Empty(report.Worst(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Worst(-1));
    }

    [Fact]
    public void Compute_LengthMismatch_Throws()
    {
        var error = Assert.Throws<ArgumentException>(
            () => ClassificationMetrics.Compute(["a", "b"], [["a"]], ["a", "b"], topK: 1));
        Assert.Equal("rankedPredictions", error.ParamName);
    }

    [Fact]
    public void Compute_NoSamples_Throws()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([], [], ["a"], topK: 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Compute_TopKBelowOne_Throws(int topK)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Compute(["a"], [["a"]], ["a"], topK));
    }

    [Fact]
    public void Compute_EmptyPredictionList_Throws()
    {
        var error = Assert.Throws<ArgumentException>(
            () => ClassificationMetrics.Compute(["a", "b"], [["a"], []], ["a", "b"], topK: 1));
        Assert.Contains("Sample 1", error.Message, StringComparison.Ordinal);
    }

    private static void AssertClass(ClassMetrics actual, string label, int support, int predicted, double precision, double recall, double f1)
    {
        Assert.Equal(label, actual.Label);
        Assert.Equal(support, actual.Support);
        Assert.Equal(predicted, actual.Predicted);
        Assert.Equal(precision, actual.Precision, Tolerance);
        Assert.Equal(recall, actual.Recall, Tolerance);
        Assert.Equal(f1, actual.F1, Tolerance);
    }
}
