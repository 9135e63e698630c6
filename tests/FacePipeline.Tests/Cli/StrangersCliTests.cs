using System.Text.Json;
using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Head;
using FacePipeline.Prediction;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.CommandLine;

/// <summary>TrainHead --unknowns, Predict's unknown label and evaluate's open-set gate, on hand-written caches.</summary>
public sealed class StrangersCliTests : IDisposable
{
    private static readonly FeatureIdentity Identity = HandWrittenPart.Identity("fixture", 2);

    private readonly TempFolder temp = new();

    private string Known => temp.Combine("known");

    private string Strangers => temp.Combine("strangers");

    private string HeadPath => temp.Combine("head");

    [Fact]
    public async Task Strangers_from_another_backbone_are_refused_with_one_line()
    {
        await WriteKnownAsync();
        await HandWrittenPart.WriteAsync(Path.Combine(Strangers, "part-0000.parquet"), HandWrittenPart.Identity("other", 2), [HandWrittenPart.Row("x/1", "x", 1, 1)]);

        CliRun run = await CliRun.TrainHead("--features", Known, "--out", HeadPath, "--head", "prototype", "--unknowns", Strangers);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string error = Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: {Strangers}: the strangers' features were made with backbone other", error, StringComparison.Ordinal);
        Assert.EndsWith("extract both with the same --model", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(HeadPath));
    }

    [Fact]
    public async Task A_known_label_among_the_strangers_is_refused_with_one_line()
    {
        await WriteKnownAsync();
        await WriteStrangersAsync(HandWrittenPart.Row("x/1", "x", 1, 1), HandWrittenPart.Row("a/9", "a", 1, 0));

        CliRun run = await CliRun.TrainHead("--features", Known, "--out", HeadPath, "--head", "prototype", "--unknowns", Strangers);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal(
            $"error: {Strangers}: label 'a' (a/9) is also a person the head learns; --unknowns must hold only people the head must not recognise, so remove them from that cache or from the training cache",
            run.ErrorLines[^1]);
        Assert.False(Directory.Exists(HeadPath));
    }

    [Fact]
    public async Task The_strangers_faces_are_counted_in_the_memory_budget_before_anything_is_read()
    {
        await WriteKnownAsync();
        await WriteStrangersAsync([.. Enumerable.Range(0, 5).Select(i => HandWrittenPart.Row($"x/{i}", "x", 1, i))]);

        long bytes = await StrangerFaces.BytesAsync(Strangers);
        CliRun run = await CliRun.TrainHead("--features", Known, "--out", HeadPath, "--head", "prototype", "--unknowns", Strangers);

        Assert.Equal(5 * 2 * sizeof(float), bytes);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Contains(", the strangers' faces 0 MiB)", Assert.Single(run.ErrorLines, l => l.StartsWith("train-head: prototypes in one pass", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_calibrated_threshold_is_recorded_applied_by_predict_and_gated_by_max_far()
    {
        await WriteKnownAsync();
        // 20 strangers at 5°, 7°, … 43°: all nearest to a, with distinct cosines; at 10 % the two nearest may pass.
        await WriteStrangersAsync([.. Enumerable.Range(0, 20).Select(i => HandWrittenPart.Row($"x/{i}", $"x{i}", (float)Math.Cos((5 + (2 * i)) * Math.PI / 180), (float)Math.Sin((5 + (2 * i)) * Math.PI / 180)))]);

        CliRun train = await CliRun.TrainHead("--features", Known, "--out", HeadPath, "--head", "prototype", "--unknowns", Strangers, "--target-far", "0.1");

        Assert.Equal(ExitCodes.Success, train.ExitCode);
        (HeadDescription description, _) = HeadFolder.ReadDescription(HeadPath);
        StrangerCalibration calibration = description.Strangers!;
        Assert.Equal(0.1, calibration.TargetFar);
        Assert.Equal(20, calibration.Count);
        Assert.Equal(2, calibration.Accepted);
        Assert.Equal(0.1, calibration.FarReached);
        Assert.True(calibration.TooFew, "20 strangers are fewer than 10 / 0.1");
        Assert.Equal(calibration.Threshold, description.SuggestedUnknownThreshold);
        Assert.Contains("TOO FEW strangers", description.UnknownThresholdMethod, StringComparison.Ordinal);

        // The strangers evaluated against the head: exactly the two calibrated to pass get a name.
        CliRun gate = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Strangers, "--out", temp.Combine("report"), "--max-far", "0.05");
        Assert.Equal(ExitCodes.BelowMinimumAccuracy, gate.ExitCode);
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(temp.Combine("report", "metrics.json")));
        Assert.Equal(0.1, metrics.RootElement.GetProperty("far").GetDouble());
        Assert.Equal(20, metrics.RootElement.GetProperty("unknown_count").GetInt32());
        Assert.Equal(calibration.Threshold, metrics.RootElement.GetProperty("unknown_threshold").GetDouble());
        Assert.Contains("is above --max-far 0.05", gate.ErrorLines[^1], StringComparison.Ordinal);

        CliRun pass = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Strangers, "--out", temp.Combine("report2"), "--max-far", "0.1");
        Assert.Equal(ExitCodes.Success, pass.ExitCode);
    }

    [Fact]
    public void A_face_below_the_threshold_is_unknown_in_the_csv_and_keeps_its_candidates()
    {
        FacePrediction prediction = PredictionRanker.Rank("face.jpg", [0.2f, 0.5f, 0.3f], ["a", "b", "c"], 2, 0.6);

        string?[] row = PredictionCsvWriter.Row(prediction, 2);

        Assert.Equal(["face.jpg", "0", "", "", "", "", PredictionRanker.UnknownLabel, "0.5", "b", "0.5", "c", "0.3"], row.Select(v => v ?? string.Empty));
    }

    public void Dispose() => temp.Dispose();

    /// <summary>Two people: a along (1,0), b along (0,1), three photos each.</summary>
    private Task WriteKnownAsync() => HandWrittenPart.WriteAsync(
        Path.Combine(Known, "part-0000.parquet"),
        Identity,
        [.. Enumerable.Range(0, 3).SelectMany(i => new[] { HandWrittenPart.Row($"a/{i}", "a", 1, 0.01f * i), HandWrittenPart.Row($"b/{i}", "b", 0.01f * i, 1) })]);

    private Task WriteStrangersAsync(params FeatureRow[] rows) => HandWrittenPart.WriteAsync(Path.Combine(Strangers, "part-0000.parquet"), Identity, rows);
}
