using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.CommandLine;

/// <summary>Programs say, in one stderr line, when the backbone they run is described as not pretrained.</summary>
public sealed class NotPretrainedWarningTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Extract_warns_once_about_a_backbone_described_as_not_pretrained()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"), "random-fixture");

        CliRun run = await CliRun.Extract("--images", TestPaths.OrlFaces, "--out", temp.Combine("cache"), "--model", model, "--shard", "0/40");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        string warning = Assert.Single(run.ErrorLines, l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Equal(
            $"warning: backbone random-fixture is not pretrained (\"pretrained\": \"none\" in {temp.Combine("models", "random-fixture.json")}); its random weights give features for tests only",
            warning);
    }

    [Fact]
    public void The_bundled_imagenet_backbone_gets_no_warning()
    {
        Backbone resnet = BackboneCatalog.Default().Resolve(BackboneCatalog.ImageNetName, out _);

        Assert.Equal("imagenet", resnet.Description.Pretrained);
        Assert.Null(resnet.NotPretrainedWarning);
    }

    public void Dispose() => temp.Dispose();
}
