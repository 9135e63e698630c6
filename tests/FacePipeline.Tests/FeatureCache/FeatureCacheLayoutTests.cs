using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>The cache's file names, pinned literally: they are an on-disk format that scripts, Spark and older caches rely on.</summary>
public sealed class FeatureCacheLayoutTests
{
    [Fact]
    public void Names_of_parts_errors_lock_rebuild_and_sheet_are_the_format()
    {
        var shard = new ShardSpec(1, 3);
        Assert.Equal("part-20260101T000000000-0007.parquet", FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(ShardSpec.All), "20260101T000000000", 7));
        Assert.Equal("part-shard1of3-*.parquet", FeatureCacheLayout.PartPatternOf(shard));
        Assert.Equal("errors.csv", FeatureCacheLayout.ErrorsFileNameOf(ShardSpec.All));
        Assert.Equal("errors-shard1of3.csv", FeatureCacheLayout.ErrorsFileNameOf(shard));
        Assert.Equal(".part-shard1of3-lock", FeatureCacheLayout.LockFileName(FeatureCacheLayout.PartPrefix(shard)));
        Assert.Equal("part-rebuild.json", FeatureCacheLayout.RebuildFileName("part-"));
        Assert.Equal("faces.png", FeatureCacheLayout.FacesSheetFileName);
    }

    [Theory]
    [InlineData("part-shard1of3-20260101T000000000-0000.parquet", 1, 3)]
    [InlineData("part-shard12of16-x.parquet", 12, 16)]
    public void A_sharded_part_name_gives_its_shard(string name, int index, int count) =>
        Assert.Equal(new ShardSpec(index, count), FeatureCacheLayout.ShardOf(name));

    [Theory]
    [InlineData("part-20260101T000000000-0000.parquet")]
    [InlineData("errors-shard1of3.csv")]
    [InlineData("other.parquet")]
    [InlineData("part-shard1of99999999999-x.parquet")]
    public void A_part_of_the_whole_set_or_another_file_has_no_shard(string name) => Assert.Null(FeatureCacheLayout.ShardOf(name));

    [Fact]
    public void A_whole_set_prefix_does_not_claim_a_shards_parts()
    {
        Assert.True(FeatureCacheLayout.IsPartOf("part-20260101T000000000-0000.parquet", "part-"));
        Assert.False(FeatureCacheLayout.IsPartOf("part-shard0of2-20260101T000000000-0000.parquet", "part-"));
        Assert.True(FeatureCacheLayout.IsPartOfRun("part-20260101T000000000-0003.parquet", "part-", "20260101T000000000"));
        Assert.False(FeatureCacheLayout.IsPartOfRun("part-20260101T000000001-0003.parquet", "part-", "20260101T000000000"));
    }
}
