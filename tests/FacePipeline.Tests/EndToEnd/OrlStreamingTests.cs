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

        // The fixed part plus 1.3 MB for the rows: the 400-row group is read page by page in slices of 39 rows, leaving a
        // shuffle buffer of about 130 of the 240 training rows.
        long budget = TrainingMemory.ProcessFixedBytes(512, 40, HeadKind.Auto) + 1_300_000;
        CliRun run = await CliRun.TrainHead(
            "--features", fixture.Cache, "--out", head, "--streaming", "always", "--memory-budget", budget.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains(run.ErrorLines, l => l.StartsWith($"train-head: streaming from 1 row groups within the memory budget of {TrainingMemory.Mib(budget)}: ", StringComparison.Ordinal)
            && l.Contains("(shuffle buffer 1", StringComparison.Ordinal) && l.EndsWith("row groups read page by page in slices of 39 rows)", StringComparison.Ordinal));
        HeadDescription inMemory = HeadFolder.ReadDescription(fixture.Head).Description;
        HeadDescription streamed = HeadFolder.ReadDescription(head).Description;
        Assert.Equal((inMemory.Counts.Train, inMemory.Counts.Validation), (streamed.Counts.Train, streamed.Counts.Validation));
        Assert.True(streamed.Metrics.ValAccuracy >= 0.85, $"streamed validation accuracy {streamed.Metrics.ValAccuracy}");
        // 40 validation images: three images either way.
        Assert.InRange(streamed.Metrics.ValAccuracy!.Value - inMemory.Metrics.ValAccuracy!.Value, -0.075, 0.075);
    }
}
