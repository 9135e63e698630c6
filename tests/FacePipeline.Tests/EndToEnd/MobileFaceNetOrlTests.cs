using System.Text.Json;
using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.EndToEnd;

/// <summary>The three stages on ORL with <c>--model mobilefacenet</c>, and heads refusing the other backbone's features.</summary>
[Collection(OrlPipelineCollection.Name)]
public sealed class MobileFaceNetOrlTests : IClassFixture<MobileFaceNetOrlFixture>
{
    /// <summary>
    /// ORL-7/3 test accuracy bar with whole images (no alignment yet): measured 0.967 on seeds 1, 2 and 3, with and
    /// without L2-normalised embeddings (see models/README.md); the bar leaves a margin for machine differences.
    /// </summary>
    private const double TestAccuracyBar = 0.95;

    private readonly MobileFaceNetOrlFixture fixture;
    private readonly OrlPipelineFixture resnet;

    public MobileFaceNetOrlTests(MobileFaceNetOrlFixture fixture, OrlPipelineFixture resnet)
    {
        this.fixture = fixture;
        this.resnet = resnet;
    }

    [Fact]
    public async Task Extract_caches_128_d_embeddings_under_the_mobilefacenet_identity()
    {
        Assert.Equal(ExitCodes.Success, fixture.Extraction.ExitCode);
        Assert.Contains("400 new, 0 cached, 0 removed, 0 failed", fixture.Extraction.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("batch dimension is fixed", fixture.Extraction.Error, StringComparison.Ordinal);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(fixture.Cache);
        Assert.Equal(400, reader.RowCount);
        Assert.Equal("mobilefacenet", reader.Identity!.Name);
        Assert.Equal("e72a5710cce378dc46472b6b845cb90647634f2738d8c3e581735cf195b9866f", reader.Identity.ModelSha256);
        Assert.Equal(128, reader.Identity.FeatureLength);
    }

    [Fact]
    public async Task Evaluate_on_the_test_split_reaches_the_bar()
    {
        Assert.Equal(ExitCodes.Success, fixture.Training.ExitCode);
        using var temp = new TempFolder();
        CliRun run = await CliRun.Predict("evaluate", "--head", fixture.Head, "--features", fixture.Cache, "--split", "test", "--out", temp.Combine("r"));
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(temp.Combine("r", "metrics.json")));
        Assert.Equal(120, metrics.RootElement.GetProperty("count").GetInt32());
        double accuracy = metrics.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= TestAccuracyBar, $"ORL-7/3 test accuracy {accuracy} with mobilefacenet below {TestAccuracyBar}");
    }

    [Fact]
    public async Task Predict_on_raw_files_finds_the_backbone_from_the_head()
    {
        CliRun run = await CliRun.Predict("--head", fixture.Head, TestPaths.OrlImage(7, 9), TestPaths.OrlImage(8, 10));
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        string[] lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith(TestPaths.OrlImage(7, 9) + ",s7,", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resnet18_head_refuses_mobilefacenet_features()
    {
        using var temp = new TempFolder();
        CliRun run = await CliRun.Predict("evaluate", "--head", resnet.Head, "--features", fixture.Cache, "--out", temp.Combine("r"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("was trained on resnet18", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mobilefacenet_head_refuses_the_resnet18_model()
    {
        CliRun run = await CliRun.Predict("--head", fixture.Head, "--model", "resnet18", TestPaths.OrlImage(1, 1));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("was trained with e72a5710cce378dc46472b6b845cb90647634f2738d8c3e581735cf195b9866f", line, StringComparison.Ordinal);
    }
}
