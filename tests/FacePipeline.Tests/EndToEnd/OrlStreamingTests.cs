using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.EndToEnd;

/// <summary>TrainHead streamed from the ORL fixture's cache against the fixture's in-memory training of the same cache.</summary>
[Collection(OrlPipelineCollection.Name)]
public sealed class OrlStreamingTests(OrlPipelineFixture fixture)
{
    [Fact]
    public async Task Streaming_with_a_small_shuffle_buffer_reaches_the_in_memory_accuracy()
    {
        string head = fixture.Temp.Combine("head-streamed");

        // 5 MB: one 400-row group read of 512 floats takes 4 MB, leaving a shuffle buffer of about 150 of the 240 training rows.
        CliRun run = await CliRun.TrainHead("--features", fixture.Cache, "--out", head, "--streaming", "always", "--memory-budget", "5MB");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains(run.ErrorLines, l => l.StartsWith("train-head: streaming from 1 row groups within the memory budget of 4.8 MiB (shuffle buffer ", StringComparison.Ordinal));
        HeadDescription inMemory = HeadFolder.ReadDescription(fixture.Head).Description;
        HeadDescription streamed = HeadFolder.ReadDescription(head).Description;
        Assert.Equal((inMemory.Counts.Train, inMemory.Counts.Validation), (streamed.Counts.Train, streamed.Counts.Validation));
        Assert.True(streamed.Metrics.ValAccuracy >= 0.85, $"streamed validation accuracy {streamed.Metrics.ValAccuracy}");
        // 40 validation images: three images either way.
        Assert.InRange(streamed.Metrics.ValAccuracy!.Value - inMemory.Metrics.ValAccuracy!.Value, -0.075, 0.075);
    }
}
