using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Dataset;

/// <summary><c>--shard K/N</c>: parsing, and the N shards partitioning a set the same way on every machine.</summary>
public sealed class ShardSpecTests
{
    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("0/3", 0, 3)]
    [InlineData("2/3", 2, 3)]
    [InlineData("15/16", 15, 16)]
    public void Valid_shards_parse(string text, int index, int count)
    {
        ShardSpec shard = ShardSpec.Parse(text);

        Assert.Equal(new ShardSpec(index, count), shard);
        Assert.Equal(text, shard.ToString());
    }

    [Theory]
    [InlineData("3/3")]
    [InlineData("5/3")]
    [InlineData("-1/3")]
    [InlineData("1/0")]
    [InlineData("0/0")]
    [InlineData("1")]
    [InlineData("1/2/3")]
    [InlineData("a/b")]
    [InlineData(" 1/2")]
    [InlineData("+1/2")]
    [InlineData("")]
    public void Invalid_shards_are_refused_with_the_expected_form(string text)
    {
        FormatException error = Assert.Throws<FormatException>(() => ShardSpec.Parse(text));

        Assert.Equal($"'{text}' is not a shard; use K/N with 0 <= K < N (e.g. 0/4)", error.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void The_shards_partition_the_400_orl_images_without_overlap_or_loss(int count)
    {
        string[] paths = ImageFolderReader.Read(TestPaths.OrlFaces).Select(i => i.Path).ToArray();
        Assert.Equal(400, paths.Length);

        List<string>[] shards = Enumerable.Range(0, count).Select(k => paths.Where(new ShardSpec(k, count).Contains).ToList()).ToArray();

        Assert.Equal(400, shards.Sum(s => s.Count));
        Assert.Equal(paths.Order(StringComparer.Ordinal), shards.SelectMany(s => s).Order(StringComparer.Ordinal));
        // A hash spreads the images: no shard is starved (expected 400/N each).
        Assert.All(shards, s => Assert.InRange(s.Count, 400 / count / 2, 400 / count * 2));
    }

    [Fact]
    public void The_assignment_is_deterministic_and_pinned()
    {
        // SHA-256 of the UTF-8 relative path, first 8 bytes little-endian, modulo N. Changing this function would
        // split existing sharded caches differently: these values are the contract.
        Assert.True(new ShardSpec(2, 3).Contains("s1/1.pgm"));
        Assert.True(new ShardSpec(1, 4).Contains("s1/1.pgm"));
        Assert.True(new ShardSpec(0, 3).Contains("s2/5.pgm"));
        Assert.True(new ShardSpec(3, 7).Contains("s2/5.pgm"));
        Assert.True(new ShardSpec(3, 4).Contains("s40/10.pgm"));
        Assert.False(new ShardSpec(0, 4).Contains("s40/10.pgm"));
        Assert.True(ShardSpec.All.Contains("anything"));
    }

    [Fact]
    public void Part_prefixes_keep_shards_apart()
    {
        Assert.Equal("part-", FeatureCacheLayout.PartPrefix(ShardSpec.All));
        Assert.Equal("part-shard1of3-", FeatureCacheLayout.PartPrefix(new ShardSpec(1, 3)));
        Assert.Equal("0/1", ShardSpec.All.ToString());
    }
}
