using System.Globalization;
using FacePipeline.Fixtures;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using TorchSharp;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>
/// Streaming TrainHead on a synthetic cache of 1200 rows × 64 features in three row groups (500, 500, 200): the same
/// split and standardisation as in memory, the same quality, one history per seed, and the memory budget's choices.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class StreamingTrainingTests : IAsyncLifetime, IDisposable
{
    private const int FeatureLength = 64;
    private const long Plenty = 1L << 40;
    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    public Task InitializeAsync() => SyntheticFeatureCache.WriteAsync(Cache, rows: 1200, FeatureLength, classes: 4, seed: 7);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Streaming_sees_the_rows_in_memory_sees_and_learns_as_well()
    {
        TrainingSet inMemory = await TrainingSet.LoadAsync(Cache, StreamingMode.Never, Plenty);
        TrainingSet streamed = await TrainingSet.LoadAsync(Cache, StreamingMode.Always, Plenty);
        var options = new TrainingOptions { Epochs = 4 };

        using TrainedHead a = HeadTrainer.Train(inMemory, options);
        using TrainedHead b = HeadTrainer.Train(streamed, options);

        Assert.False(inMemory.IsStreamed);
        Assert.True(streamed.IsStreamed);
        Assert.Empty(streamed.Features);
        Assert.Equal(3, streamed.RowGroupCount);
        Assert.Equal(inMemory.Classes, streamed.Classes);
        (int[] train, int[] validation, _) = HeadTrainer.SplitRows(inMemory, options);
        (int[] streamedTrain, int[] streamedValidation, _) = HeadTrainer.SplitRows(streamed, options);
        Assert.Equal(train, streamedTrain);
        Assert.Equal(validation, streamedValidation);
        Assert.Equal((1020, 180), (a.TrainCount, a.ValidationCount));
        Assert.Equal((a.TrainCount, a.ValidationCount), (b.TrainCount, b.ValidationCount));
        // One float64 pass over the same rows in the same order: the standardisation is bit-identical.
        Assert.Equal(a.Weights["feature_mean"].data<float>().ToArray(), b.Weights["feature_mean"].data<float>().ToArray());
        Assert.Equal(a.Weights["feature_std"].data<float>().ToArray(), b.Weights["feature_std"].data<float>().ToArray());
        Assert.True(a.ValidationAccuracy >= 0.95, $"in memory {a.ValidationAccuracy}");
        Assert.True(b.ValidationAccuracy >= 0.95, $"streamed {b.ValidationAccuracy}");
        Assert.InRange(b.ValidationAccuracy!.Value - a.ValidationAccuracy!.Value, -0.03, 0.03);
    }

    [Fact]
    public async Task Streaming_twice_with_one_seed_gives_one_history_and_another_seed_another()
    {
        // A budget that leaves a shuffle buffer of a few hundred rows: groups and buffer draws both matter.
        TrainingSet streamed = await TrainingSet.LoadAsync(Cache, StreamingMode.Always, 600_000);
        var options = new TrainingOptions { Epochs = 3, Dropout = 0.2 };

        using TrainedHead first = HeadTrainer.Train(streamed, options);
        using TrainedHead second = HeadTrainer.Train(streamed, options);
        using TrainedHead other = HeadTrainer.Train(streamed, options with { Seed = 43 });

        Assert.Equal(822, HeadTrainer.ShuffleBufferRows(streamed, options.BatchSize));
        Assert.Equal(Numbers(first), Numbers(second));
        Assert.Equal(first.Weights["output.weight"].data<float>().ToArray(), second.Weights["output.weight"].data<float>().ToArray());
        Assert.NotEqual(Numbers(first), Numbers(other));
    }

    [Fact]
    public async Task Auto_streams_only_when_the_in_memory_peak_exceeds_the_budget()
    {
        // 0.4 MB: row groups are read in slices (one read 0.3 MB), so the rows need 0.6 MiB in memory.
        TrainingSet fits = await TrainingSet.LoadAsync(Cache, StreamingMode.Auto, Plenty);
        TrainingSet over = await TrainingSet.LoadAsync(Cache, StreamingMode.Auto, 400_000);
        FacePipelineException refused = await Assert.ThrowsAsync<FacePipelineException>(() => TrainingSet.LoadAsync(Cache, StreamingMode.Never, 400_000));

        Assert.False(fits.IsStreamed);
        Assert.Equal(1200 * FeatureLength, fits.Features.Length);
        Assert.True(over.IsStreamed);
        Assert.True(over.ReadsInSlices);
        Assert.Equal(
            $"{Cache}: 1200 rows × 64 features need 0.6 MiB in memory (the 0.3 MiB float32 matrix plus one read), more than the memory budget of 0.4 MiB; stream them (--streaming auto or always) or raise --memory-budget",
            refused.Message);
    }

    [Fact]
    public async Task A_budget_below_one_read_and_a_validation_chunk_is_refused_at_the_start_with_what_it_needs()
    {
        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => TrainingSet.LoadAsync(Cache, StreamingMode.Always, 100_000));

        Assert.Equal(
            $"{Cache}: memory budget 0.1 MiB is below what training on 64 features and 4 labels needs: 0.3 MiB for one read and a validation chunk; raise --memory-budget to at least 0.7 MiB",
            error.Message);
    }

    [Fact]
    public async Task A_budget_below_one_batch_beside_a_read_is_refused_with_what_it_needs()
    {
        TrainingSet streamed = await TrainingSet.LoadAsync(Cache, StreamingMode.Always, 380_000);

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => HeadTrainer.Train(streamed, new TrainingOptions { Epochs = 1 }));

        Assert.Equal(
            "memory budget 0.4 MiB is too small to stream 64 features in slices of 92 rows read page by page (one read, a batch and a shuffle buffer of one batch need 0.4 MiB); raise --memory-budget to at least 0.4 MiB",
            error.Message);
    }

    [Fact]
    public async Task A_process_budget_below_the_fixed_overhead_is_refused_at_the_start_with_what_it_needs()
    {
        long fixedPart = TrainingMemory.ProcessFixedBytes(FeatureLength, 4, HeadKind.Auto);

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(
            () => TrainingSet.LoadAsync(Cache, StreamingMode.Auto, 300L << 20, (length, classes) => TrainingMemory.ProcessFixedBytes(length, classes, HeadKind.Auto)));

        Assert.Equal(444_654_688, fixedPart);
        Assert.Equal(
            $"{Cache}: memory budget 300 MiB is below what training on 64 features and 4 labels needs: 424.1 MiB fixed (runtime, libtorch, the head's state and any --unknowns faces) and 0.3 MiB for one read and a validation chunk; raise --memory-budget to at least 424.7 MiB",
            error.Message);
    }

    [Theory]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("512MB", 512_000_000L)]
    [InlineData("512MiB", 536_870_912L)]
    [InlineData("1.5GiB", 1_610_612_736L)]
    [InlineData(" 64 kib ", 65_536L)]
    [InlineData("12345", 12_345L)]
    public void Sizes_parse_with_decimal_and_binary_units(string text, long bytes)
    {
        Assert.True(TrainingMemory.TryParseSize(text, out long parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GB")]
    [InlineData("2XB")]
    [InlineData("-1GB")]
    [InlineData("0")]
    [InlineData("1e3")]
    public void Other_sizes_are_refused(string text) => Assert.False(TrainingMemory.TryParseSize(text, out _));

    [Fact]
    public async Task TrainHead_says_when_it_streams_and_refuses_a_size_it_cannot_read()
    {
        long budget = TrainingMemory.ProcessFixedBytes(FeatureLength, 4, HeadKind.Auto) + 600_000;
        CliRun streamed = await CliRun.TrainHead("--features", Cache, "--out", temp.Combine("head"), "--epochs", "1", "--memory-budget", budget.ToString(CultureInfo.InvariantCulture));
        CliRun bad = await CliRun.TrainHead("--features", Cache, "--out", temp.Combine("head2"), "--memory-budget", "lots");

        Assert.Equal(0, streamed.ExitCode);
        string mib = TrainingMemory.Mib(budget);
        string fixedPart = TrainingMemory.Mib(TrainingMemory.ProcessFixedBytes(FeatureLength, 4, HeadKind.Auto));
        Assert.Contains(
            $"train-head: streaming from 3 row groups within the memory budget of {mib}: {fixedPart} fixed (runtime and libtorch 416 MiB, the head's state 8.1 MiB), the rest for the rows (shuffle buffer 822 rows, row groups read page by page in slices of 146 rows)",
            streamed.ErrorLines);
        Assert.Contains($"streaming=auto, memory-budget={mib}", streamed.Error, StringComparison.Ordinal);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--memory-budget 'lots' is not a size; write a positive number with an optional unit, e.g. 2GB or 512MiB", bad.Error, StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();

    private static string[] Numbers(TrainedHead head) =>
        head.History.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Loss:R} {e.Accuracy:R} {e.ValLoss:R} {e.ValAccuracy:R}")).ToArray();
}
