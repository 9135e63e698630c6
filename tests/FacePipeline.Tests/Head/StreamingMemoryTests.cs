using System.Diagnostics;
using System.Globalization;
using FacePipeline.Fixtures;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FacePipeline.Tests.Head;

/// <summary>
/// The memory budget, measured: the built TrainHead program trains in a child process on a synthetic cache several
/// times larger than its budget, in our layout and in one row group larger than the budget, and its peak resident
/// memory (<c>VmHWM</c> from <c>/proc/PID/status</c>) must stay within the budget, which bounds the whole process; the
/// large cache held in memory shows the matrix is really there otherwise.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class StreamingMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int FeatureLength = 2048;
    private const int Rows = 16_000;
    private const long Mib = 1 << 20;
    private readonly TempFolder temp = new();

    [ProcStatusFact]
    public async Task A_cache_larger_than_the_budget_trains_within_the_budget()
    {
        await SyntheticFeatureCache.WriteAsync(temp.Combine("large"), Rows, FeatureLength, classes: 8, seed: 3);
        await SyntheticFeatureCache.WriteAsync(temp.Combine("small"), 400, FeatureLength, classes: 8, seed: 3);
        long matrix = (long)Rows * FeatureLength * sizeof(float);
        long budget = TrainingMemory.ProcessFixedBytes(FeatureLength, 8, HeadKind.Auto) + (32 * Mib);

        (long baseline, _) = await PeakResidentBytes("small", "--streaming", "never");
        (long streamed, string streamedLog) = await PeakResidentBytes("large", "--memory-budget", Bytes(budget));
        (long inMemory, string inMemoryLog) = await PeakResidentBytes("large", "--streaming", "never", "--memory-budget", "8GiB");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak RSS: small {baseline / Mib} MiB, large streamed {streamed / Mib} MiB within {budget / Mib} MiB, large in memory {inMemory / Mib} MiB; matrix {matrix / Mib} MiB"));

        Assert.Contains($"train-head: streaming from 32 row groups within the memory budget of {TrainingMemory.Mib(budget)}", streamedLog, StringComparison.Ordinal);
        Assert.Contains("train-head: in memory", inMemoryLog, StringComparison.Ordinal);
        // The budget bounds the whole process: runtime, libtorch, the head's state and the rows.
        Assert.True(streamed <= budget, $"streamed peak {streamed / Mib} MiB over the budget of {budget / Mib} MiB");
        Assert.True(inMemory - baseline > matrix * 3 / 4, $"in-memory peak {inMemory / Mib} MiB, only {(inMemory - baseline) / Mib} MiB above the small cache's");
    }

    [ProcStatusFact]
    public async Task A_row_group_larger_than_the_budget_is_read_in_pieces_within_the_budget()
    {
        // One row group of 8 000 rows x 2 048 floats (62.5 MiB, one page as DuckDB writes them): Parquet.Net would read
        // it whole at five times that.
        await SyntheticFeatureCache.WriteLargeGroupsAsync(temp.Combine("one-group"), 8_000, FeatureLength, classes: 8, seed: 3, rowGroupRows: 8_000);
        long budget = TrainingMemory.ProcessFixedBytes(FeatureLength, 8, HeadKind.Auto) + (48 * Mib);

        (long peak, string log) = await PeakResidentBytes("one-group", "--memory-budget", Bytes(budget));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak RSS {peak / Mib} MiB within {budget / Mib} MiB"));

        Assert.Contains($"train-head: streaming from 1 row groups within the memory budget of {TrainingMemory.Mib(budget)}", log, StringComparison.Ordinal);
        Assert.Contains("row groups read page by page in slices of ", log, StringComparison.Ordinal);
        Assert.Contains("train-head: validation accuracy 1.0000", log, StringComparison.Ordinal);
        Assert.True(peak <= budget, $"peak {peak / Mib} MiB over the budget of {budget / Mib} MiB");
    }

    [ProcStatusFact]
    public async Task Prototypes_whose_validation_rows_exceed_the_budget_read_them_again_within_it()
    {
        // 16 000 rows x 2 048 floats (125 MiB): 15 % validation is 18.8 MiB, more than the 16 MiB left for the rows.
        await SyntheticFeatureCache.WriteAsync(temp.Combine("large"), Rows, FeatureLength, classes: 8, seed: 3);
        long budget = TrainingMemory.ProcessFixedBytes(FeatureLength, 8, HeadKind.Prototype) + (16 * Mib);

        (long peak, string log) = await PeakResidentBytes("large", "--head", "prototype", "--memory-budget", Bytes(budget));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak RSS {peak / Mib} MiB within {budget / Mib} MiB"));

        Assert.Contains("train-head: prototypes in two passes over 32 row groups", log, StringComparison.Ordinal);
        Assert.Contains($"within the memory budget of {TrainingMemory.Mib(budget)}", log, StringComparison.Ordinal);
        Assert.Contains("train-head: validation accuracy 1.0000", log, StringComparison.Ordinal);
        Assert.True(peak <= budget, $"peak {peak / Mib} MiB over the budget of {budget / Mib} MiB");
    }

    public void Dispose() => temp.Dispose();

    /// <summary>Runs TrainHead for one epoch on cache <paramref name="cache"/>; returns its peak RSS and its stderr.</summary>
    private async Task<(long Bytes, string Log)> PeakResidentBytes(string cache, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "TrainHead.dll"), "--features", temp.Combine(cache), "--out", temp.Combine("head-" + cache + extra.Length), "--epochs", "1", .. extra])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> log = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        long peak = 0;
        while (!process.HasExited)
        {
            peak = Math.Max(peak, HighWaterMark(process.Id));
            await Task.Delay(20);
        }

        await process.WaitForExitAsync();
        string text = await log + await stdout;
        Assert.True(process.ExitCode == 0, text);
        Assert.True(peak > 0, "no VmHWM read");
        return (peak, text);
    }

    private static string Bytes(long bytes) => bytes.ToString(CultureInfo.InvariantCulture);

    private static long HighWaterMark(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
