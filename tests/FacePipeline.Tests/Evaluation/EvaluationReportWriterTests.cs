using System.Buffers.Binary;
using System.Text.Json;
using FacePipeline.Evaluation;
using FacePipeline.Head;
using FacePipeline.Storage;
using Xunit;

namespace FacePipeline.Tests.Evaluation;

public sealed class EvaluationReportWriterTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly string tempRoot = Path.Combine(Path.GetTempPath(), "facepipeline-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(tempRoot))
        {
            Directory.Delete(tempRoot, recursive: true);
        }
    }

    // true a a a a b b c c, top-1 a a a b b b c a (the hand-computed case of ClassificationMetricsTests).
    private static ClassificationReport ThreeClassReport() => ClassificationMetrics.Compute(
        ["a", "a", "a", "a", "b", "b", "c", "c"],
        [["a"], ["a"], ["a"], ["b", "a"], ["b"], ["b"], ["c"], ["a", "b"]],
        ["a", "b", "c"],
        topK: 2);

    /// <summary>Open-set figures of a set without strangers (the closed-set tests do not look at them).</summary>
    private static readonly OpenSetReport NoStrangers = new(8, 0, null, 0.5, null, 0, []);

    private static readonly Misclassification[] ThreeClassMistakes =
    [
        new("faces/a/04.jpg", "a", "b", 0.5),
        new("faces/c/02, copy.jpg", "c", "a", 0.875),
    ];

    [Fact]
    public void Write_CreatesAllFilesAndNoTemporaries()
    {
        string reportDir = Path.Combine(tempRoot, "report");

        EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, ThreeClassMistakes, new Dictionary<string, object?>());

        Assert.Equal(
            ["confusion.csv", "confusion.png", "metrics.json", "misclassified.csv", "open-set.csv", "per-class.csv"],
            Directory.GetFiles(reportDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Write_MetricsJson_HasSnakeCaseMetricsAndContext()
    {
        string reportDir = Path.Combine(tempRoot, "report");
        var context = new Dictionary<string, object?>
        {
            ["head_id"] = "head-123",
            ["cache"] = new Dictionary<string, object?> { ["backbone"] = "resnet18", ["rows"] = 8 },
            ["note"] = null,
        };

        EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, ThreeClassMistakes, context);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reportDir, "metrics.json")));
        JsonElement root = json.RootElement;
        Assert.Equal(0.75, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(2, root.GetProperty("top_k").GetInt32());
        Assert.Equal(0.875, root.GetProperty("top_k_accuracy").GetDouble());
        Assert.Equal(8, root.GetProperty("count").GetInt32());
        Assert.Equal(29.0 / 36, root.GetProperty("macro_precision").GetDouble(), 1e-12);
        Assert.Equal(0.75, root.GetProperty("macro_recall").GetDouble(), 1e-12);
        Assert.Equal(133.0 / 180, root.GetProperty("macro_f1").GetDouble(), 1e-12);
        JsonElement counts = root.GetProperty("per_label_counts");
        Assert.Equal(4, counts.GetProperty("a").GetInt32());
        Assert.Equal(2, counts.GetProperty("b").GetInt32());
        Assert.Equal(2, counts.GetProperty("c").GetInt32());
        Assert.Equal(0, root.GetProperty("unseen_labels").GetArrayLength());
        Assert.Equal("head-123", root.GetProperty("head_id").GetString());
        Assert.Equal("resnet18", root.GetProperty("cache").GetProperty("backbone").GetString());
        Assert.Equal(8, root.GetProperty("cache").GetProperty("rows").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("note").ValueKind);
    }

    [Fact]
    public void Write_MetricsJson_ListsUnseenLabels()
    {
        string reportDir = Path.Combine(tempRoot, "report");
        ClassificationReport report = ClassificationMetrics.Compute(["a", "zed"], [["a"], ["a"]], ["a"], topK: 1);

        EvaluationReportWriter.Write(reportDir, report, NoStrangers, [], new Dictionary<string, object?>());

        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reportDir, "metrics.json")));
        Assert.Equal(["zed"], json.RootElement.GetProperty("unseen_labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, json.RootElement.GetProperty("per_label_counts").GetProperty("zed").GetInt32());
    }

    [Fact]
    public void Write_Csvs_HaveHeadersAndValues()
    {
        string reportDir = Path.Combine(tempRoot, "report");

        EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, ThreeClassMistakes, new Dictionary<string, object?>());

        Assert.Equal(
            [
                "label,support,precision,recall,f1",
                "a,4,0.75,0.75,0.75",
                "b,2,0.6666666666666666,1,0.8",
                "c,2,1,0.5,0.6666666666666666",
            ],
            File.ReadAllLines(Path.Combine(reportDir, "per-class.csv")));
        Assert.Equal(
            ["true\\predicted,a,b,c", "a,3,1,0", "b,0,2,0", "c,1,0,1"],
            File.ReadAllLines(Path.Combine(reportDir, "confusion.csv")));
        Assert.Equal(
            ["path,true,predicted,confidence", "faces/a/04.jpg,a,b,0.5", "\"faces/c/02, copy.jpg\",c,a,0.875"],
            File.ReadAllLines(Path.Combine(reportDir, "misclassified.csv")));
        // The pipeline's CSVs end lines with LF only (CsvTable.Options).
        Assert.DoesNotContain('\r', File.ReadAllText(Path.Combine(reportDir, "per-class.csv")));
    }

    [Fact]
    public void Write_ConfusionPng_IsAPngThatGrowsWithLabelCount()
    {
        string small = Path.Combine(tempRoot, "small");
        string large = Path.Combine(tempRoot, "large");
        string[] labels = [.. Enumerable.Range(1, 40).Select(i => $"person_{i}")];
        ClassificationReport fortyLabels = ClassificationMetrics.Compute(
            labels, [.. labels.Select((l, i) => (IReadOnlyList<string>)[labels[(i + (i % 5 == 0 ? 1 : 0)) % 40]])], labels, topK: 1);

        EvaluationReportWriter.Write(small, ThreeClassReport(), NoStrangers, ThreeClassMistakes, new Dictionary<string, object?>());
        EvaluationReportWriter.Write(large, fortyLabels, NoStrangers, [], new Dictionary<string, object?>());

        (int smallWidth, int smallHeight) = AssertPng(Path.Combine(small, "confusion.png"));
        (int largeWidth, int largeHeight) = AssertPng(Path.Combine(large, "confusion.png"));
        Assert.True(largeWidth > smallWidth && largeHeight > smallHeight, $"{largeWidth}x{largeHeight} vs {smallWidth}x{smallHeight}");
        // At least 20 px per cell for 40 labels.
        Assert.True(largeWidth >= 40 * 20 && largeHeight >= 40 * 20, $"{largeWidth}x{largeHeight}");
    }

    [Fact]
    public void Write_SingleLabel_StillRendersPng()
    {
        string reportDir = Path.Combine(tempRoot, "report");
        ClassificationReport report = ClassificationMetrics.Compute(["a", "a"], [["a"], ["a"]], ["a"], topK: 1);

        EvaluationReportWriter.Write(reportDir, report, NoStrangers, [], new Dictionary<string, object?>());

        AssertPng(Path.Combine(reportDir, "confusion.png"));
    }

    [Fact]
    public void Write_FailingHalfWay_LeavesTheOldReportIntact()
    {
        string reportDir = Path.Combine(tempRoot, "report");
        EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, ThreeClassMistakes, new Dictionary<string, object?>());
        Dictionary<string, byte[]> before = Directory.GetFiles(reportDir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        // A context value that cannot be serialised: metrics.json fails inside the staging folder.
        Assert.Throws<InvalidOperationException>(
            () => EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, [], new Dictionary<string, object?> { ["run"] = new Unserialisable() }));

        Dictionary<string, byte[]> after = Directory.GetFiles(reportDir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, pair => Assert.Equal(pair.Value, after[pair.Key]));
        Assert.Equal(["report"], Directory.GetFileSystemEntries(tempRoot).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_ExistingReport_IsReplaced()
    {
        string reportDir = Path.Combine(tempRoot, "report");
        EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, ThreeClassMistakes, new Dictionary<string, object?>());

        EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, [], new Dictionary<string, object?>());

        Assert.Equal(["path,true,predicted,confidence"], File.ReadAllLines(Path.Combine(reportDir, "misclassified.csv")));
        Assert.Empty(Directory.GetFiles(reportDir, AtomicFile.TemporaryPattern()));
    }

    [Fact]
    public void Write_ContextKeyClashingWithMetric_ThrowsBeforeWriting()
    {
        string reportDir = Path.Combine(tempRoot, "report");
        var context = new Dictionary<string, object?> { ["accuracy"] = 1.0 };

        var error = Assert.Throws<ArgumentException>(
            () => EvaluationReportWriter.Write(reportDir, ThreeClassReport(), NoStrangers, [], context));

        Assert.Contains("'accuracy'", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(reportDir));
    }

    [Fact]
    public void TrainingCurvesPlot_WithAndWithoutValidation_WritesPng()
    {
        Directory.CreateDirectory(tempRoot);
        EpochRecord[] withValidation =
        [
            new(1, 2.0, 0.40, 2.2, 0.35, 1.5),
            new(2, 1.2, 0.70, 1.4, 0.62, 1.4),
            new(3, 0.8, 0.85, 1.1, 0.74, 1.4),
        ];
        EpochRecord[] trainOnly = [new(1, 2.0, 0.40, null, null, 1.0), new(2, 1.0, 0.75, null, null, 1.0)];
        string withPath = Path.Combine(tempRoot, "curves.png");
        string withoutPath = Path.Combine(tempRoot, "curves-train-only.png");

        TrainingCurvesPlot.Write(withPath, withValidation);
        TrainingCurvesPlot.Write(withoutPath, trainOnly);

        (int width, int height) = AssertPng(withPath);
        Assert.True(width > height, $"two panels side by side: {width}x{height}");
        AssertPng(withoutPath);
        Assert.Empty(Directory.GetFiles(tempRoot, AtomicFile.TemporaryPattern()));
    }

    [Fact]
    public void TrainingCurvesPlot_EmptyHistory_Throws()
    {
        Assert.Throws<ArgumentException>(() => TrainingCurvesPlot.Write(Path.Combine(tempRoot, "curves.png"), []));
    }

    // Checks the signature and a non-trivial size, and returns the dimensions from the IHDR chunk.
    private static (int Width, int Height) AssertPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5_000, $"{path} has only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
    }

    /// <summary>A context value whose serialisation fails half-way through metrics.json.</summary>
    private sealed class Unserialisable
    {
        private readonly string message = "cannot serialise";

        public string Value => throw new InvalidOperationException(message);
    }
}
