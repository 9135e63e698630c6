using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Storage;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>
/// Real Extract processes side by side on one cache: writers of one shard are excluded by the shard's lock file (the
/// second refuses with one line), other shards work at the same time, and cleanup leaves other writers' temporaries.
/// </summary>
public sealed class ConcurrentExtractTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string model;

    public ConcurrentExtractTests()
    {
        model = FixtureBackbone.Write(temp.Combine("models"));
        for (int person = 1; person <= 6; person++)
        {
            Directory.CreateDirectory(Path.Combine(Images, $"s{person}"));
            for (int image = 1; image <= 10; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(Images, $"s{person}", $"{image}.pgm"));
            }
        }
    }

    private string Images => temp.Combine("images");

    private string Cache => temp.Combine("cache");

    [Fact]
    public async Task A_second_writer_of_a_locked_shard_is_refused_with_one_line()
    {
        Directory.CreateDirectory(Cache);
        CliRun refused;
        using (ShardLock.Acquire(Cache, FeatureCacheLayout.PartPrefix(ShardSpec.All), "0/1"))
        {
            using ProgramProcess second = Start();
            refused = await second.WaitAsync();
        }

        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        string error = Assert.Single(refused.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Equal(
            $"error: {Path.GetFullPath(Cache)}: another Extract is writing shard 0/1 of this cache now (.part-lock is locked); wait for it to finish, or use another --out folder",
            error);
        Assert.DoesNotContain("   at ", refused.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Cache, FeatureCacheLayout.PartPattern));

        CliRun after = await Start().WaitAsync();
        Assert.Equal(ExitCodes.Success, after.ExitCode);
        Assert.Equal(60, (await CacheRows.ReadAllAsync(Cache)).Count);
    }

    [Fact]
    public async Task Two_runs_of_one_shard_started_together_leave_each_image_once()
    {
        using ProgramProcess first = Start();
        using ProgramProcess second = Start();
        CliRun[] runs = [await first.WaitAsync(), await second.WaitAsync()];

        foreach (CliRun run in runs)
        {
            Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
            if (run.ExitCode != ExitCodes.Success)
            {
                Assert.Equal(ExitCodes.Failed, run.ExitCode);
                Assert.Contains("another Extract is writing shard 0/1 of this cache now", Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)), StringComparison.Ordinal);
            }
        }

        Assert.Contains(runs, r => r.ExitCode == ExitCodes.Success);
        List<FeatureRow> rows = await CacheRows.ReadAllAsync(Cache);
        Assert.Equal(60, rows.Count);
        Assert.Equal(60, rows.Select(r => r.Path).Distinct().Count());
    }

    [Fact]
    public async Task Two_shards_run_at_once_and_a_shard_beside_a_default_run_both_finish()
    {
        using ProgramProcess zero = Start("--shard", "0/2");
        using ProgramProcess one = Start("--shard", "1/2");
        CliRun[] shards = [await zero.WaitAsync(), await one.WaitAsync()];

        Assert.All(shards, r => Assert.Equal(ExitCodes.Success, r.ExitCode));
        List<FeatureRow> rows = await CacheRows.ReadAllAsync(Cache);
        Assert.Equal(60, rows.Count);
        Assert.Equal(60, rows.Select(r => r.Path).Distinct().Count());

        string other = temp.Combine("cache-mixed");
        using ProgramProcess whole = StartIn(other);
        using ProgramProcess shard = StartIn(other, "--shard", "1/2");
        CliRun[] mixed = [await whole.WaitAsync(), await shard.WaitAsync()];

        Assert.All(mixed, r => Assert.Equal(ExitCodes.Success, r.ExitCode));
        Assert.All(mixed, r => Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(other, ".*.tmp-*"));
    }

    [Fact]
    public async Task Cleanup_keeps_live_writers_temporaries_and_other_shards_temporaries()
    {
        Directory.CreateDirectory(Cache);
        // A live process's temporary of this shard, another shard's temporary of a gone process, and a gone
        // process's temporary of this shard: only the last is a crash's leftover of this shard.
        string live = AtomicFile.TemporaryPath(Path.Combine(Cache, FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(ShardSpec.All), "20260101T000000000", 0)));
        string otherShard = Path.Combine(Cache, $".part-shard1of2-20260101T000000000-0000.parquet{AtomicFile.Marker}{DeadProcessId()}-abcd1234");
        string stale = Path.Combine(Cache, $".part-20260101T000000000-0001.parquet{AtomicFile.Marker}{DeadProcessId()}-abcd1234");
        foreach (string file in new[] { live, otherShard, stale })
        {
            File.WriteAllText(file, "x");
        }

        CliRun run = await CliRun.Extract("--images", Images, "--out", Cache, "--model", model, "--device", "cpu");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(otherShard));
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public async Task A_part_writer_whose_commit_failed_disposes_without_hiding_the_error()
    {
        Directory.CreateDirectory(Cache);
        var identity = new FacePipeline.Features.FeatureIdentity(new FacePipeline.Backbones.BackboneIdentity("net", "00", "none", "2", [2]), FacePipeline.Faces.FaceStage.None);
        string final = Path.Combine(Cache, FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(ShardSpec.All), "20260101T000000000", 0));
        FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(final, identity, "test");
        await writer.AddAsync(new FeatureRow("a.pgm", "a", "train", "00", [1f, 2f]));
        // Another process removed the temporary (what cleanup did to a live writer before).
        foreach (string file in Directory.GetFiles(Cache, ".*"))
        {
            File.Delete(file);
        }

        await Assert.ThrowsAsync<FileNotFoundException>(() => writer.CommitAsync());
        await writer.DisposeAsync();

        Assert.Empty(Directory.GetFiles(Cache));
    }

    public void Dispose() => temp.Dispose();

    private static int DeadProcessId()
    {
        // A process that ran and exited: its id is free until reused.
        using var exited = System.Diagnostics.Process.Start("true")!;
        exited.WaitForExit();
        return exited.Id;
    }

    private ProgramProcess Start(params string[] extra) => StartIn(Cache, extra);

    private ProgramProcess StartIn(string cache, params string[] extra) =>
        ProgramProcess.Start("Extract", ["--images", Images, "--out", cache, "--model", model, "--device", "cpu", .. extra]);
}
