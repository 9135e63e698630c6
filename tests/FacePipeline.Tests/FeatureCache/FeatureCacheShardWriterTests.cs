using FacePipeline.Features;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Storage;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>
/// A run's writer of one shard, in-process: what opening cleans up, how rows become parts and the errors file, and a
/// rebuild that never completes leaving the old parts the cache.
/// </summary>
public sealed class FeatureCacheShardWriterTests : IDisposable
{
    private static readonly FeatureIdentity Identity = HandWrittenPart.Identity("fixture", 4);
    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    [Fact]
    public async Task Opening_removes_only_this_shards_temporaries_whose_writer_is_gone()
    {
        Directory.CreateDirectory(Cache);
        int gone = ExitedProcessId();
        string stale = Path.Combine(Cache, $".part-20260101T000000000-0000.parquet{AtomicFile.Marker}{gone}-abcd1234");
        string live = AtomicFile.TemporaryPath(Path.Combine(Cache, "part-20260101T000000000-0001.parquet"));
        string otherShard = Path.Combine(Cache, $".part-shard1of2-20260101T000000000-0000.parquet{AtomicFile.Marker}{gone}-abcd1234");
        string otherFile = Path.Combine(Cache, $".errors.csv{AtomicFile.Marker}{gone}-abcd1234");
        foreach (string file in new[] { stale, live, otherShard, otherFile })
        {
            File.WriteAllText(file, "x");
        }

        await using (await FeatureCacheShardWriter.OpenAsync(Cache, ShardSpec.All, Identity, rebuild: false))
        {
            Assert.False(File.Exists(stale));
        }

        Assert.True(File.Exists(live));
        Assert.True(File.Exists(otherShard));
        Assert.True(File.Exists(otherFile));
    }

    [Fact]
    public async Task Rows_become_parts_of_part_rows_named_for_the_shard_and_the_errors_file_is_sorted()
    {
        var shard = new ShardSpec(1, 2);
        await using (FeatureCacheShardWriter writer = await FeatureCacheShardWriter.OpenAsync(Cache, shard, Identity, rebuild: false))
        {
            for (int i = 0; i <= FeatureCacheSchema.PartRows; i++)
            {
                await writer.AddAsync(HandWrittenPart.Row($"s1/{i}.pgm", "s1", i, 0, 0, 0));
            }

            await writer.CompleteAsync([("s2/b.pgm", "broken"), ("s2/a.pgm", "no face found")]);
        }

        string[] parts = [.. Directory.GetFiles(Cache, FeatureCacheLayout.PartPattern).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(2, parts.Length);
        Assert.All(parts, p => Assert.True(FeatureCacheLayout.IsPartOf(p, FeatureCacheLayout.PartPrefix(shard)), p));
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(Cache);
        Assert.Equal([FeatureCacheSchema.PartRows, 1], reader.Parts.Select(p => p.RowCount));
        Assert.Equal(
            ["path,reason", "s2/a.pgm,no face found", "s2/b.pgm,broken"],
            File.ReadAllLines(Path.Combine(Cache, FeatureCacheLayout.ErrorsFileNameOf(shard))));
        Assert.Empty(Directory.GetFiles(Cache, AtomicFile.TemporaryPattern()));
    }

    [Fact]
    public async Task A_rebuild_disposed_before_it_completes_keeps_the_old_parts_and_the_lock_excludes_a_second_writer()
    {
        await HandWrittenPart.WriteAsync(Path.Combine(Cache, FeatureCacheLayout.PartFileName("part-", "20260101T000000000", 0)), Identity, [HandWrittenPart.Row("s1/old.pgm", "s1", 1, 2, 3, 4)]);

        await using (FeatureCacheShardWriter writer = await FeatureCacheShardWriter.OpenAsync(Cache, ShardSpec.All, Identity, rebuild: true))
        {
            Assert.Empty(writer.OwnParts);
            await writer.AddAsync(HandWrittenPart.Row("s1/new.pgm", "s1", 5, 6, 7, 8));
            await writer.CommitPartAsync();
            Assert.Equal(["s1/old.pgm"], (await CacheRows.ReadAllAsync(Cache)).Select(r => r.Path));
            await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheShardWriter.OpenAsync(Cache, ShardSpec.All, Identity, rebuild: false));
        }

        Assert.Equal(["s1/old.pgm"], (await CacheRows.ReadAllAsync(Cache)).Select(r => r.Path));
        Assert.Single(Directory.GetFiles(Cache, FeatureCacheLayout.PartPattern));
        Assert.Empty(FeatureCacheLayout.RebuildFiles(Cache));
    }

    /// <inheritdoc/>
    public void Dispose() => temp.Dispose();

    private static int ExitedProcessId()
    {
        // A process that ran and exited: its id is free until reused.
        using var exited = System.Diagnostics.Process.Start("true")!;
        exited.WaitForExit();
        return exited.Id;
    }
}
