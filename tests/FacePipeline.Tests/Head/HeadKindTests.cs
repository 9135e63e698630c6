using System.Text.Json;
using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>The prototype head and auto's choice, on tiny caches whose answers are computed by hand.</summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class HeadKindTests : IDisposable
{
    private static readonly FeatureIdentity Identity = HandWrittenPart.Identity("fixture", 2);

    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    private string HeadPath => temp.Combine("head");

    [Theory]
    [InlineData("auto")]
    [InlineData("never")]
    public async Task Prototypes_are_the_normalised_means_of_the_normalised_non_test_rows(string streaming)
    {
        // a: (3,4) → (0.6,0.8) and (2,0) → (1,0); mean (0.8,0.4), normalised (2,1)/√5. b: (0,5) → (0,1).
        // The test row of b (1,0) must not move b's prototype.
        await WriteCacheAsync(
            HandWrittenPart.Row("a/1", "a", 3, 4),
            HandWrittenPart.Row("a/2", "a", 2, 0),
            HandWrittenPart.Row("b/1", "b", 0, 5),
            HandWrittenPart.Row("b/2", "b", 1, 0) with { Split = "test" });

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--head", "prototype", "--val-split", "0", "--streaming", streaming);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        (HeadDescription description, IReadOnlyList<string> labels) = HeadFolder.ReadDescription(HeadPath);
        Assert.Equal(["a", "b"], labels);
        Assert.Equal(HeadDescriptionBuilder.PrototypeKind, description.Architecture.Kind);
        Assert.Equal(HeadFolder.PrototypesFileName, description.WeightsFile);
        float[] prototypes = HeadFolder.ReadPrototypes(File.ReadAllBytes(Path.Combine(HeadPath, HeadFolder.PrototypesFileName)), HeadFolder.PrototypesFileName, 2, 2);
        Assert.Equal(2 / Math.Sqrt(5), prototypes[0], 6);
        Assert.Equal(1 / Math.Sqrt(5), prototypes[1], 6);
        Assert.Equal(0, prototypes[2], 6);
        Assert.Equal(1, prototypes[3], 6);
        Assert.False(File.Exists(Path.Combine(HeadPath, HeadFolder.WeightsFileName)));
        Assert.Contains("not calibrated against strangers", run.Error, StringComparison.OrdinalIgnoreCase);

        using HeadClassifier head = HeadClassifier.Load(HeadPath);
        Assert.Equal(HeadKind.Prototype, head.Kind);
        // Cosine of (1,0) to a's prototype is 2/√5 and to b's 0.
        float[] scores = head.Scores([10, 0], 1);
        Assert.Equal(2 / Math.Sqrt(5), scores[0], 5);
        Assert.Equal(0, scores[1], 5);
    }

    [Fact]
    public async Task A_person_with_one_photo_is_recognised()
    {
        var random = new Random(3);
        var rows = new List<FeatureRow>();
        foreach ((string person, float x, float y, int photos) in new[] { ("many", 1f, 0f, 6), ("solo", 0f, 1f, 1), ("other", -1f, 0f, 6) })
        {
            for (int i = 0; i < photos; i++)
            {
                rows.Add(HandWrittenPart.Row($"{person}/{i}", person, x + (0.1f * (float)random.NextDouble()), y + (0.1f * (float)random.NextDouble())));
            }

            rows.Add(HandWrittenPart.Row($"{person}/test", person, x + 0.05f, y - 0.05f) with { Split = "test" });
        }

        await WriteCacheAsync([.. rows]);
        CliRun train = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--head", "prototype");
        Assert.Equal(ExitCodes.Success, train.ExitCode);

        CliRun run = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--split", "test", "--out", temp.Combine("report"), "--unknown-threshold", "none");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("solo,1,1,1,1", File.ReadAllLines(temp.Combine("report", "per-class.csv")));
    }

    [Fact]
    public async Task Auto_keeps_prototypes_where_people_differ_in_direction_and_the_mlp_has_too_little_to_learn_from()
    {
        // 30 people, 3 photos each, each person a direction of its own at scales from 1 to 50: cosine separates them
        // exactly; one epoch of the mlp on 2 photos per person does not.
        var random = new Random(5);
        var rows = new List<FeatureRow>();
        for (int p = 0; p < 30; p++)
        {
            double angle = 2 * Math.PI * p / 30;
            for (int i = 0; i < 3; i++)
            {
                float scale = 1 + (49 * (float)random.NextDouble());
                rows.Add(HandWrittenPart.Row($"p{p}/{i}", $"p{p}", scale * (float)Math.Cos(angle), scale * (float)Math.Sin(angle)));
            }
        }

        await WriteCacheAsync([.. rows]);

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--epochs", "1", "--val-split", "0.34");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        HeadSelection selection = Selection();
        Assert.Equal(HeadKind.Auto, selection.Requested);
        Assert.Equal(HeadKind.Prototype, selection.Chosen);
        Assert.Equal(1.0, selection.Prototype!.MacroRecall);
        Assert.True(selection.Mlp!.MacroRecall < 1.0, $"mlp macro recall {selection.Mlp.MacroRecall}");
        Assert.Contains("train-head: auto keeps prototype", run.Error, StringComparison.Ordinal);
        Assert.Contains("train-head: mlp: validation macro recall", run.Error, StringComparison.Ordinal);
        Assert.Contains("train-head: prototype: validation macro recall 1.0000", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_keeps_the_mlp_where_people_share_a_direction_and_differ_in_length()
    {
        // Two people on the same ray, one near length 1 and one near length 10: their prototypes are the same vector,
        // so cosine cannot tell them apart; the standardised mlp can.
        var random = new Random(7);
        var rows = new List<FeatureRow>();
        for (int i = 0; i < 40; i++)
        {
            float length = i % 2 == 0 ? 1 : 10;
            float noise = 0.05f * (float)random.NextDouble();
            rows.Add(HandWrittenPart.Row($"{i}", i % 2 == 0 ? "near" : "far", length * (1 + noise), length * (1 - noise)));
        }

        await WriteCacheAsync([.. rows]);

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--epochs", "30");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        HeadSelection selection = Selection();
        Assert.Equal(HeadKind.Mlp, selection.Chosen);
        Assert.Equal(1.0, selection.Mlp!.MacroRecall);
        Assert.True(selection.Prototype!.MacroRecall <= 0.5, $"prototype macro recall {selection.Prototype.MacroRecall}");
        Assert.True(File.Exists(Path.Combine(HeadPath, HeadFolder.WeightsFileName)));
        Assert.Contains("train-head: auto keeps mlp", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_leaves_out_an_mlp_that_cannot_finish_one_epoch_within_its_budget()
    {
        // A budget of a microsecond: no epoch can end within it, however fast the machine.
        await WriteCacheAsync([.. Enumerable.Range(0, 12).Select(i => HandWrittenPart.Row($"{i}", $"p{i % 3}", i % 3, 1))]);

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--auto-budget", "0.000001");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        HeadSelection selection = Selection();
        Assert.Equal(HeadKind.Prototype, selection.Chosen);
        Assert.Null(selection.Mlp);
        Assert.True(selection.MlpCutByBudget);
        Assert.Contains("the mlp did not finish one epoch within auto's time budget", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_labelled_unknown_is_refused()
    {
        await WriteCacheAsync(HandWrittenPart.Row("a/1", "a", 1, 0), HandWrittenPart.Row("u/1", "unknown", 0, 1));

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--head", "prototype");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("label 'unknown' is reserved (Predict writes 'unknown' for a face below the unknown threshold)", run.ErrorLines[^1], StringComparison.Ordinal);
        Assert.StartsWith("error: ", run.ErrorLines[^1], StringComparison.Ordinal);
        Assert.False(Directory.Exists(HeadPath));
    }

    public void Dispose() => temp.Dispose();

    private HeadSelection Selection()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(HeadPath, HeadFolder.DescriptionFileName)));
        return json.RootElement.GetProperty("selection").Deserialize<HeadSelection>(HeadFolder.JsonOptions)!;
    }

    private Task WriteCacheAsync(params FeatureRow[] rows) => HandWrittenPart.WriteAsync(Path.Combine(Cache, "part-0000.parquet"), Identity, rows);
}
