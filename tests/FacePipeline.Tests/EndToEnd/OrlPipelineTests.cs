using System.Globalization;
using System.Text.Json;
using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.EndToEnd;

/// <summary>The three stages on the real ORL faces with the real bundled ResNet18.</summary>
[Collection(OrlPipelineCollection.Name)]
public sealed class OrlPipelineTests
{
    /// <summary>
    /// The accuracy bar on ORL-7/3 test images (120). Measured: see the README's accuracy section; the bar sits
    /// below the measured value by a margin for numeric differences between machines, and above the peers
    /// (ML.NET SDCA 0.967, cosine nearest neighbour 0.975).
    /// </summary>
    private const double TestAccuracyBar = 0.975;

    private readonly OrlPipelineFixture fixture;

    public OrlPipelineTests(OrlPipelineFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task Extraction_caches_every_orl_image_with_resnet18_features()
    {
        Assert.Equal(ExitCodes.Success, fixture.Extraction.ExitCode);
        Assert.Contains("400 new, 0 cached, 0 removed, 0 failed", fixture.Extraction.Error, StringComparison.Ordinal);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(fixture.Cache);
        Assert.Equal(400, reader.RowCount);
        Assert.Equal("resnet18", reader.Identity!.Backbone.Name);
        Assert.Equal(512, reader.Identity.FeatureLength);
        List<FeatureRow> rows = await CacheRows.ReadAllAsync(reader);

        Assert.Equal(40, rows.Select(r => r.Label).Distinct().Count());
        Assert.Equal(280, rows.Count(r => r.Split == "train"));
        Assert.Equal(120, rows.Count(r => r.Split == "test"));
        Assert.All(rows, r => Assert.Equal(512, r.Features.Length));
        // ResNet18's feature is average-pooled after a ReLU: non-negative, and not all zero.
        Assert.All(rows, r => Assert.True(r.Features.All(v => v >= 0) && r.Features.Any(v => v > 0)));
        Assert.Equal(64, rows.First(r => r.Path == "orl-faces/s1/1.pgm").Sha256.Length);
    }

    [Fact]
    public async Task Extraction_is_deterministic_across_runs_and_batch_sizes()
    {
        using var temp = new TempFolder();
        string manifest = temp.Combine("subset.csv");
        File.WriteAllLines(manifest, ["path,label", .. Enumerable.Range(1, 10).Select(i => $"{TestPaths.OrlImage(3, i)},s3")]);
        CliRun run = await CliRun.Extract("--manifest", manifest, "--out", temp.Combine("cache"), "--model", "resnet18", "--batch-size", "3");
        Assert.Equal(ExitCodes.Success, run.ExitCode);

        Dictionary<string, float[]> full = await ReadFeatures(fixture.Cache);
        Dictionary<string, float[]> again = await ReadFeatures(temp.Combine("cache"));
        Assert.Equal(10, again.Count);
        foreach ((string path, float[] features) in again)
        {
            float[] reference = full[Path.GetRelativePath(Path.Combine(TestPaths.RepoRoot, "data"), path).Replace('\\', '/')];
            for (int i = 0; i < features.Length; i++)
            {
                // Batch composition may change the order of float sums inside ONNX Runtime's kernels.
                Assert.InRange(features[i] - reference[i], -1e-4f, 1e-4f);
            }
        }
    }

    [Fact]
    public async Task Unchanged_rerun_computes_nothing()
    {
        CliRun rerun = await CliRun.Extract("--manifest", OrlPipelineFixture.Manifest, "--out", fixture.Cache, "--model", "resnet18");
        Assert.Equal(ExitCodes.Success, rerun.ExitCode);
        Assert.Contains("0 new, 400 cached, 0 removed, 0 failed", rerun.Error, StringComparison.Ordinal);
        Assert.Contains("device none", rerun.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Head_folder_describes_itself()
    {
        Assert.Equal(ExitCodes.Success, fixture.Training.ExitCode);
        foreach (string file in new[] { "weights.bin", "labels.json", "head.json", "history.csv", "training-curves.png" })
        {
            Assert.True(File.Exists(Path.Combine(fixture.Head, file)), file + " missing");
        }

        (HeadDescription description, IReadOnlyList<string> labels) = HeadFolder.ReadDescription(fixture.Head);
        Assert.Equal(40, labels.Count);
        Assert.Equal("s1", labels[0]);
        Assert.Equal("s2", labels[1]);
        Assert.Equal(512, description.Architecture.InputSize);
        Assert.Equal(new[] { 1024, 256 }, description.Architecture.Hidden);
        Assert.Equal("resnet18", description.Features.Backbone.Name);
        Assert.Equal(20, description.Metrics.EpochsRun);
        Assert.Equal(120, description.Counts.TestSkipped);
        Assert.Equal(280, description.Counts.Train + description.Counts.Validation);
        Assert.Equal(40, description.Counts.Validation);
        Assert.NotNull(description.SuggestedUnknownThreshold);

        string[] history = File.ReadAllLines(Path.Combine(fixture.Head, "history.csv"));
        Assert.Equal("epoch,loss,accuracy,val_loss,val_accuracy,seconds", history[0]);
        Assert.Equal(21, history.Length);
        Assert.Contains("validation accuracy", fixture.Training.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Contains(
            string.Create(CultureInfo.InvariantCulture, $"train-head: unknown threshold {description.SuggestedUnknownThreshold:F4} (top-1 probability: 5th percentile of the top-1 score"),
            fixture.Training.ErrorLines[^2],
            StringComparison.Ordinal);
        Assert.True(description.Metrics.ValAccuracy >= 0.9, $"validation accuracy {description.Metrics.ValAccuracy}");
    }

    [Fact]
    public async Task Evaluate_on_the_test_split_reaches_the_bar_and_writes_the_report()
    {
        using var temp = new TempFolder();
        string report = temp.Combine("report");
        CliRun run = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", fixture.Cache, "--split", "test", "--out", report);
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "metrics.json")));
        Assert.Equal(120, metrics.RootElement.GetProperty("count").GetInt32());
        double accuracy = metrics.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= TestAccuracyBar, $"ORL-7/3 test accuracy {accuracy} below {TestAccuracyBar}");
        foreach (string file in new[] { "per-class.csv", "confusion.csv", "confusion.png", "misclassified.csv" })
        {
            Assert.True(File.Exists(Path.Combine(report, file)), file + " missing");
        }

        Assert.Contains(run.ErrorLines, line => line.StartsWith("evaluate: accuracy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gate_exits_3_below_the_minimum_accuracy()
    {
        using var temp = new TempFolder();
        CliRun pass = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", fixture.Cache, "--split", "test", "--out", temp.Combine("a"), "--min-accuracy", "0.5");
        CliRun fail = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", fixture.Cache, "--split", "test", "--out", temp.Combine("b"), "--min-accuracy", "1.01");
        Assert.Equal(ExitCodes.Success, pass.ExitCode);
        Assert.Equal(ExitCodes.Usage, fail.ExitCode);
        CliRun strict = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", fixture.Cache, "--split", "test", "--out", temp.Combine("c"), "--min-accuracy", "0.9999");
        Assert.Equal(ExitCodes.BelowMinimumAccuracy, strict.ExitCode);
        Assert.Contains("is below --min-accuracy", strict.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Combine("c", "metrics.json")), "the report is written even when the gate fails");
    }

    [Fact]
    public async Task Predict_on_raw_files_agrees_with_evaluate_on_the_cache()
    {
        using var temp = new TempFolder();
        string[] files = Enumerable.Range(1, 40).Select(p => TestPaths.OrlImage(p, 9)).ToArray();
        // Without the head's unknown threshold, so every label is the top-1 that evaluate scores.
        CliRun predicted = await CliRun.Predict(["--head", fixture.Head, "--top-k", "2", "--unknown-threshold", "none", .. files]);
        Assert.Equal(ExitCodes.Success, predicted.ExitCode);
        string[] lines = predicted.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("path,face,face_x,face_y,face_w,face_h,label,confidence,top1,p1,top2,p2", lines[0]);
        Assert.Equal(41, lines.Length);

        CliRun evaluated = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", fixture.Cache, "--split", "test", "--out", temp.Combine("r"));
        Assert.Equal(ExitCodes.Success, evaluated.ExitCode);
        var wrongInCache = File.ReadAllLines(temp.Combine("r", "misclassified.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[2]);
        for (int p = 1; p <= 40; p++)
        {
            string[] fields = lines[p].Split(',');
            string cachePath = $"orl-faces/s{p}/9.pgm";
            string expected = wrongInCache.TryGetValue(cachePath, out string? wrong) ? wrong : $"s{p}";
            Assert.Equal(["0", "", "", "", ""], fields[1..6]);
            Assert.Equal(expected, fields[6]);
            double confidence = double.Parse(fields[7], CultureInfo.InvariantCulture);
            Assert.InRange(confidence, 0, 1);
            Assert.Equal(fields[6], fields[8]);
        }
    }

    [Fact]
    public async Task Unknown_threshold_labels_low_confidence_faces_unknown()
    {
        CliRun run = await CliRun.Predict("--head", fixture.Head, "--unknown-threshold", "1", TestPaths.OrlImage(1, 1));
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        string row = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.StartsWith(TestPaths.OrlImage(1, 1) + ",0,,,,,unknown,", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unseen_labels_are_strangers_scored_open_set()
    {
        using var temp = new TempFolder();
        string manifest = temp.Combine("m.csv");
        File.WriteAllLines(manifest, ["path,label", $"{TestPaths.OrlImage(1, 9)},s1", $"{TestPaths.OrlImage(2, 9)},stranger"]);
        CliRun run = await CliRun.Predict("evaluate", "--head", fixture.Head, "--manifest", manifest, "--out", temp.Combine("r"));
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(temp.Combine("r", "metrics.json")));
        // Accuracy is over the known face only; the stranger counts for FAR.
        Assert.Equal(1, metrics.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(1, metrics.RootElement.GetProperty("known_count").GetInt32());
        Assert.Equal(1, metrics.RootElement.GetProperty("unknown_count").GetInt32());
        Assert.Contains("stranger", metrics.RootElement.GetProperty("unseen_labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("on 1 stranger faces (1 people the head does not know)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_refuses_a_cache_from_another_backbone()
    {
        using var temp = new TempFolder();
        string model = FixtureBackbone.Write(temp.Combine("models"));
        string cache = temp.Combine("cache");
        CliRun extract = await CliRun.Extract("--images", TestPaths.OrlFaces, "--out", cache, "--model", model, "--shard", "0/20");
        Assert.Equal(ExitCodes.Success, extract.ExitCode);
        CliRun run = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", cache, "--out", temp.Combine("r"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("was trained with resnet18", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_refuses_a_model_file_with_another_hash()
    {
        using var temp = new TempFolder();
        string model = FixtureBackbone.Write(temp.Combine("models"), "other");
        CliRun run = await CliRun.Predict("--head", fixture.Head, "--model", model, TestPaths.OrlImage(1, 1));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains("use --model to point at the right file", line, StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, float[]>> ReadFeatures(string cache) =>
        (await CacheRows.ReadAllAsync(cache)).ToDictionary(row => row.Path, row => row.Features);
}
