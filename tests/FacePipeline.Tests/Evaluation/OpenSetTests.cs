using System.Buffers.Binary;
using System.Text.Json;
using FacePipeline.Evaluation;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Evaluation;

/// <summary>Open-set metrics on a hand-computed case, and reports that stay bounded with 20 000 labels or very long labels.</summary>
public sealed class OpenSetTests : IDisposable
{
    private readonly TempFolder temp = new();

    // Known: right at 0.9, 0.8, 0.4; wrong at 0.95. Strangers at 0.85, 0.7, 0.3, 0.2; one known face without a face found.
    private static readonly OpenSetSample[] Case =
    [
        new(true, true, 0.9), new(true, true, 0.8), new(true, true, 0.4), new(true, false, 0.95), new(true, false, 0, NoFace: true),
        new(false, false, 0.85), new(false, false, 0.7), new(false, false, 0.3), new(false, false, 0.2),
    ];

    [Fact]
    public void Dir_and_far_at_the_threshold_match_the_hand_count()
    {
        OpenSetReport report = OpenSetMetrics.Compute(Case, 0.75);

        Assert.Equal(5, report.KnownCount);
        Assert.Equal(4, report.UnknownCount);
        Assert.Equal(2.0 / 5, report.Dir);
        Assert.Equal(1.0 / 4, report.Far);
        Assert.Equal(1, report.FalseAccepts);
    }

    [Fact]
    public void Without_a_threshold_every_stranger_is_a_false_accept_and_dir_is_the_top1_rate()
    {
        OpenSetReport report = OpenSetMetrics.Compute(Case, null);

        Assert.Equal(3.0 / 5, report.Dir);
        Assert.Equal(1.0, report.Far);
        Assert.Null(report.Threshold);
    }

    [Fact]
    public void The_curve_runs_over_every_distinct_score_with_the_hand_counted_rates()
    {
        OpenSetReport report = OpenSetMetrics.Compute(Case, 0.75);

        Assert.Equal([0.2, 0.3, 0.4, 0.7, 0.8, 0.85, 0.9, 0.95], report.Curve.Select(p => p.Threshold));
        OpenSetPoint at07 = report.Curve.Single(p => p.Threshold == 0.7);
        Assert.Equal(2.0 / 5, at07.Dir);
        Assert.Equal(2.0 / 4, at07.Far);
        Assert.Equal(0.0, report.Curve[^1].Far);
    }

    [Fact]
    public void The_report_carries_the_open_set_keys_and_files()
    {
        ClassificationReport closed = ClassificationMetrics.Compute(["a", "b"], [["a"], ["a"]], ["a", "b"], 1);
        string folder = temp.Combine("report");

        EvaluationReportWriter.Write(folder, closed, OpenSetMetrics.Compute(Case, 0.75), [], new Dictionary<string, object?>());

        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")));
        Assert.Equal(0.25, metrics.RootElement.GetProperty("far").GetDouble());
        Assert.Equal(0.4, metrics.RootElement.GetProperty("dir").GetDouble());
        Assert.Equal(5, metrics.RootElement.GetProperty("known_count").GetInt32());
        Assert.Equal(4, metrics.RootElement.GetProperty("unknown_count").GetInt32());
        Assert.Equal(0.75, metrics.RootElement.GetProperty("unknown_threshold").GetDouble());
        string[] csv = File.ReadAllLines(Path.Combine(folder, "open-set.csv"));
        Assert.Equal("threshold,dir,far", csv[0]);
        Assert.Contains("0.7,0.4,0.5", csv);
        AssertPng(Path.Combine(folder, "open-set.png"), 2000);
    }

    [Fact]
    public void A_report_over_20000_labels_stays_bounded()
    {
        // 20 000 people, one face each; every 10th is mistaken for the next person.
        string[] labels = [.. Enumerable.Range(0, 20000).Select(i => $"person_{i}")];
        IReadOnlyList<string>[] ranked = [.. labels.Select((l, i) => (IReadOnlyList<string>)[i % 10 == 0 ? labels[(i + 1) % labels.Length] : l])];
        ClassificationReport report = ClassificationMetrics.Compute(labels, ranked, labels, 1);
        string folder = temp.Combine("report");

        IReadOnlyList<string> plotErrors = EvaluationReportWriter.Write(folder, report, OpenSetMetrics.Compute([.. ranked.Select((r, i) => new OpenSetSample(true, i % 10 != 0, 0.5))], null), [], new Dictionary<string, object?>());

        Assert.Empty(plotErrors);
        Assert.Equal(0.9, report.Accuracy);
        string[] confusion = File.ReadAllLines(Path.Combine(folder, "confusion.csv"));
        Assert.Equal("true,predicted,count", confusion[0]);
        Assert.Equal(20001, confusion.Length);
        Assert.True(new FileInfo(Path.Combine(folder, "confusion.csv")).Length < 1_000_000);
        (int width, int height) = AssertPng(Path.Combine(folder, "confusion.png"), 2500);
        Assert.True(width > 400 && height > 400, $"{width}x{height}");
    }

    [Fact]
    public void Labels_of_thousands_of_characters_are_elided_and_the_report_is_written()
    {
        string longLabel = new('x', 3000);
        ClassificationReport report = ClassificationMetrics.Compute([longLabel, "b", "c"], [[longLabel], ["c"], ["c"]], [longLabel, "b", "c"], 1);
        string folder = temp.Combine("report");

        IReadOnlyList<string> plotErrors = EvaluationReportWriter.Write(folder, report, OpenSetMetrics.Compute([], null), [], new Dictionary<string, object?>());

        Assert.Empty(plotErrors);
        AssertPng(Path.Combine(folder, "confusion.png"), 1500);
        Assert.Contains(longLabel, File.ReadAllText(Path.Combine(folder, "per-class.csv")), StringComparison.Ordinal);
        Assert.Equal(32, EvaluationReportWriter.PlotLabel(longLabel).Length);
    }

    public void Dispose() => temp.Dispose();

    /// <summary>Asserts a PNG no larger than <paramref name="maxSidePx"/> on either side and returns its size.</summary>
    private static (int Width, int Height) AssertPng(string path, int maxSidePx)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0x89, bytes[0]);
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        int height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.True(width <= maxSidePx && height <= maxSidePx, $"{width}x{height} px");
        return (width, height);
    }
}
