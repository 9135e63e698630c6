using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Storage;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Storage;

/// <summary>
/// Folder commits: without replacement the commit fails when the folder appeared meanwhile (two TrainHead runs into one
/// new --out: exactly one wins); a replacement never leaves the folder missing; a dead writer's staging folders go.
/// </summary>
public sealed class AtomicFolderTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void A_commit_without_replace_fails_when_the_folder_appeared_meanwhile_and_keeps_the_other()
    {
        string folder = temp.Combine("head");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => AtomicFolder.Write(folder, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "mine.txt"), "late");
            AtomicFolder.Write(folder, other => File.WriteAllText(Path.Combine(other, "theirs.txt"), "first"), replace: false);
        }, replace: false));

        Assert.Equal($"{folder}: appeared while this run was writing it (another run?) and is kept; choose another --out or pass --overwrite to replace it", error.Message);
        Assert.Equal(["theirs.txt"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal(["head"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_replacement_never_leaves_the_folder_missing()
    {
        string folder = temp.Combine("head");
        AtomicFolder.Write(folder, staging => File.WriteAllText(Path.Combine(staging, "head.json"), "0"));
        using var stop = new CancellationTokenSource();
        Task<int> missing = Task.Run(() =>
        {
            int seen = 0;
            while (!stop.IsCancellationRequested)
            {
                seen += File.Exists(Path.Combine(folder, "head.json")) ? 0 : 1;
            }

            return seen;
        });

        for (int i = 1; i <= 300; i++)
        {
            AtomicFolder.Write(folder, staging => File.WriteAllText(Path.Combine(staging, "head.json"), i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        await stop.CancelAsync();
        Assert.Equal(0, await missing);
        Assert.Equal("300", File.ReadAllText(Path.Combine(folder, "head.json")));
    }

    [Fact]
    public async Task Two_TrainHead_runs_into_one_new_folder_give_one_head_and_one_refusal()
    {
        string cache = temp.Combine("cache");
        string head = temp.Combine("head");
        await WriteCacheAsync(cache);
        string[] args = ["--features", cache, "--out", head, "--epochs", "40"];

        using ProgramProcess first = ProgramProcess.Start("TrainHead", args);
        using ProgramProcess second = ProgramProcess.Start("TrainHead", args);
        CliRun[] runs = await Task.WhenAll(first.WaitAsync(), second.WaitAsync());

        Assert.Single(runs, r => r.ExitCode == ExitCodes.Success);
        CliRun loser = Assert.Single(runs, r => r.ExitCode == ExitCodes.Failed);
        string line = Assert.Single(loser.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(line, new[]
        {
            $"error: {head}: appeared while this run was writing it (another run?) and is kept; choose another --out or pass --overwrite to replace it",
            $"error: {head}: already exists; choose another --out or pass --overwrite to replace it",
        });
        Assert.Equal(["cache", "head"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_write_removes_the_staging_folders_of_dead_writers_of_that_name_only()
    {
        using var exited = System.Diagnostics.Process.Start("true")!;
        exited.WaitForExit();
        string dead = temp.Combine($".head.tmp-{exited.Id}-0badf00d");
        string live = temp.Combine($".head.tmp-{Environment.ProcessId}-0badf00d");
        string other = temp.Combine($".other.tmp-{exited.Id}-0badf00d");
        foreach (string folder in new[] { dead, live, other })
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "weights.bin"), "left by a kill -9");
        }

        AtomicFolder.Write(temp.Combine("head"), staging => File.WriteAllText(Path.Combine(staging, "head.json"), "{}"));

        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(other));
    }

    public void Dispose() => temp.Dispose();

    private static async Task WriteCacheAsync(string cache)
    {
        var rows = new List<FeatureRow>();
        var random = new Random(2);
        for (int i = 0; i < 64; i++)
        {
            int person = 1 + (i % 2);
            rows.Add(HandWrittenPart.Row($"s{person}/{i}.pgm", $"s{person}", Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray()));
        }

        await HandWrittenPart.WriteAsync(Path.Combine(cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);
    }
}
