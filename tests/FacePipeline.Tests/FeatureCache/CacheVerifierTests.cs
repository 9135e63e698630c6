using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>
/// <see cref="CacheVerifier"/> and <c>Extract verify</c>: caches written through the real part writer, then damaged
/// the ways a sharded extraction goes wrong (a shard that never ran, a part from another backbone, a path twice, a
/// flipped bit, an input that moved on).
/// </summary>
public sealed class CacheVerifierTests : IDisposable
{
    private static readonly FeatureIdentity Backbone = HandWrittenPart.Identity("fixture", 4);

    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    [Fact]
    public async Task A_complete_sharded_cache_is_consistent_with_its_input()
    {
        IReadOnlyList<LabelledImage> input = WriteImages(12);
        await WriteShardsAsync(input, 3);

        CacheVerification result = await CacheVerifier.VerifyAsync(Cache, input);

        Assert.Empty(result.Problems);
        Assert.True(result.Consistent);
        Assert.Equal(12, result.RowCount);
        Assert.Equal(Directory.GetFiles(Cache, FeatureCacheLayout.PartPattern).Length, result.PartCount);
        Assert.Equal(0, result.PartsWithoutChecksum);
        Assert.Equal(12, result.InputImages);
        Assert.StartsWith($"verify: consistent: {result.PartCount} parts, 12 rows, ", result.Line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shard_that_never_ran_is_named_and_so_is_each_image_it_should_have_held()
    {
        IReadOnlyList<LabelledImage> input = WriteImages(12);
        await WriteShardsAsync(input, 3, skip: 1);
        var shard1 = new ShardSpec(1, 3);
        string[] lost = input.Where(i => shard1.Contains(i.Path)).Select(i => i.Path).ToArray();

        CacheVerification alone = await CacheVerifier.VerifyAsync(Cache, null);
        CacheVerification covered = await CacheVerifier.VerifyAsync(Cache, input);

        Assert.Equal(
            [new CacheProblem("shard 1/3", "never ran (no part-shard1of3-*.parquet, no errors-shard1of3.csv); run Extract --shard 1/3")],
            alone.Problems);
        Assert.NotEmpty(lost);
        Assert.Equal(
            lost.Select(p => $"{p}: missing: not in the cache; re-run Extract --shard 1/3"),
            covered.Problems.Skip(1).Select(p => p.ToString()));
    }

    [Fact]
    public async Task A_part_from_another_backbone_is_named()
    {
        IReadOnlyList<LabelledImage> input = WriteImages(6);
        await WriteShardsAsync(input, 1);
        FeatureIdentity other = Backbone with { Backbone = Backbone.Backbone with { ModelSha256 = new string('b', 64) } };
        await WritePartAsync("part-other.parquet", other, [Row("extra/1.pgm", "x")]);

        CacheVerification result = await CacheVerifier.VerifyAsync(Cache, null);

        CacheProblem problem = Assert.Single(result.Problems);
        Assert.Equal("part-other.parquet", problem.Subject);
        Assert.Equal($"made with backbone {other}, but the cache's other 1 part(s) with {Backbone}; delete it or re-extract its shard with the cache's backbone", problem.Problem);
    }

    [Fact]
    public async Task A_path_held_by_two_parts_is_named_once()
    {
        await WritePartAsync("part-a.parquet", Backbone, [Row("s1/1.pgm", "s1"), Row("s1/2.pgm", "s1")]);
        await WritePartAsync("part-b.parquet", Backbone, [Row("s1/2.pgm", "s1"), Row("s2/1.pgm", "s2")]);

        CacheVerification result = await CacheVerifier.VerifyAsync(Cache, null);

        Assert.Equal(
            [new CacheProblem("s1/2.pgm", "held 2 times (part-a.parquet, part-b.parquet); delete the extra part(s) or re-run Extract with --rebuild for that shard")],
            result.Problems);
    }

    [Fact]
    public async Task A_flipped_bit_in_a_feature_page_is_caught_by_the_data_checksum()
    {
        // 400 rows × 64 random floats: the feature column chunk is most of the file, and random floats do not compress,
        // so the page bytes are the values and a flipped bit decodes silently to another number.
        var random = new Random(7);
        FeatureIdentity wide = HandWrittenPart.Identity("fixture", 64);
        FeatureRow[] rows = Enumerable.Range(0, 400)
            .Select(i => new FeatureRow($"p/{i}.pgm", "p", null, new string('0', 64), Enumerable.Range(0, 64).Select(_ => random.NextSingle()).ToArray()))
            .ToArray();
        string part = await WritePartAsync("part-x.parquet", wide, rows);
        Assert.Empty((await CacheVerifier.VerifyAsync(Cache, null)).Problems);

        byte[] bytes = File.ReadAllBytes(part);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(part, bytes);
        CacheVerification result = await CacheVerifier.VerifyAsync(Cache, null);

        CacheProblem problem = Assert.Single(result.Problems);
        Assert.Equal("part-x.parquet", problem.Subject);
        Assert.StartsWith("data checksum mismatch (SHA-256 of its pages is ", problem.Problem, StringComparison.Ordinal);
        Assert.EndsWith("the file is corrupt; delete it and re-run Extract for its shard", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_part_is_unreadable()
    {
        string part = await WritePartAsync("part-t.parquet", Backbone, [Row("s1/1.pgm", "s1")]);
        byte[] bytes = File.ReadAllBytes(part);
        File.WriteAllBytes(part, bytes[..(bytes.Length - 20)]);

        CacheVerification result = await CacheVerifier.VerifyAsync(Cache, null);

        CacheProblem problem = Assert.Single(result.Problems);
        Assert.Equal("part-t.parquet", problem.Subject);
        Assert.StartsWith("not a readable cache part (", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_extra_and_stale_images_are_each_one_problem()
    {
        IReadOnlyList<LabelledImage> input = WriteImages(6);
        await WriteShardsAsync(input, 1);
        File.WriteAllBytes(input[0].FullPath, [9, 9, 9]);
        string newImage = Path.Combine(temp.Path, "images", "s9", "1.pgm");
        Directory.CreateDirectory(Path.GetDirectoryName(newImage)!);
        File.WriteAllBytes(newImage, [1, 2, 3]);
        LabelledImage[] changedInput = [.. input.Skip(2), new LabelledImage("s9/1.pgm", newImage, "s9", null), input[0], input[1] with { Label = "renamed" }];

        CacheVerification result = await CacheVerifier.VerifyAsync(Cache, changedInput);

        string[] lines = result.Problems.Select(p => p.ToString()).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Equal("s9/1.pgm: missing: not in the cache; re-run Extract", lines[0]);
        Assert.StartsWith($"{input[0].Path}: stale: the file's SHA-256 is {ContentHash.OfFile(input[0].FullPath)[..12]}…, part-", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"{input[1].Path}: stale: label/split renamed/- in the input, {input[1].Label}/- in part-", lines[2], StringComparison.Ordinal);

        CacheVerification shrunk = await CacheVerifier.VerifyAsync(Cache, input.Skip(1).ToArray());
        Assert.Equal($"{input[0].Path}: extra: in {PartName(ShardSpec.All)} but not in the input; re-run Extract over this input to drop it", Assert.Single(shrunk.Problems).ToString());
    }

    [Fact]
    public async Task Extract_verify_exits_0_with_a_summary_and_1_with_one_line_per_problem()
    {
        IReadOnlyList<LabelledImage> input = WriteImages(8);
        await WriteShardsAsync(input, 2);
        string images = Path.Combine(temp.Path, "images");

        CliRun good = await CliRun.Extract("verify", Cache, "--images", images);
        await WritePartAsync("part-dup.parquet", Backbone, [Row(input[0].Path, input[0].Label!)]);
        CliRun bad = await CliRun.Extract("verify", Cache);

        Assert.Equal(ExitCodes.Success, good.ExitCode);
        Assert.Empty(good.Error);
        Assert.StartsWith("verify: consistent: ", Assert.Single(good.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Contains(", input of 8 images (", good.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failed, bad.ExitCode);
        string line = Assert.Single(bad.ErrorLines);
        Assert.StartsWith($"error: {input[0].Path}: held 2 times (", line, StringComparison.Ordinal);
        Assert.StartsWith("verify: 1 problem(s): ", bad.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extract_verify_refuses_both_inputs_and_a_missing_cache()
    {
        CliRun both = await CliRun.Extract("verify", temp.Path, "--images", temp.Path, "--manifest", temp.Combine("m.csv"));
        CliRun missing = await CliRun.Extract("verify", temp.Combine("nowhere"));

        Assert.Equal(ExitCodes.Usage, both.ExitCode);
        Assert.Equal(["error: give at most one of --images DIR or --manifest CSV"], both.ErrorLines);
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.Equal([$"error: {temp.Combine("nowhere")}: feature cache not found; run Extract first"], missing.ErrorLines);
    }

    public void Dispose() => temp.Dispose();

    private static FeatureRow Row(string path, string label) => new(path, label, null, new string('0', 64), [1, 2, 3, 4]);

    /// <summary>Small files standing in for images: the verifier hashes bytes and never decodes them.</summary>
    private List<LabelledImage> WriteImages(int count)
    {
        var images = new List<LabelledImage>();
        for (int i = 0; i < count; i++)
        {
            string relative = $"s{i % 3}/{i}.pgm";
            string full = Path.Combine(temp.Path, "images", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, [(byte)i, 1, 2]);
            images.Add(new LabelledImage(relative, full, $"s{i % 3}", null));
        }

        return images;
    }

    /// <summary>Writes what Extract would: each shard's rows in its own part, and its (empty) errors file.</summary>
    private async Task WriteShardsAsync(IReadOnlyList<LabelledImage> input, int count, int skip = -1)
    {
        for (int index = 0; index < count; index++)
        {
            if (index == skip)
            {
                continue;
            }

            var shard = new ShardSpec(index, count);
            FeatureRow[] rows = input.Where(i => shard.Contains(i.Path))
                .Select(i => new FeatureRow(i.Path, i.Label!, i.Split, ContentHash.OfFile(i.FullPath), [index, 1, 2, 3]))
                .ToArray();
            if (rows.Length > 0)
            {
                await WritePartAsync(PartName(shard), Backbone, rows);
            }

            File.WriteAllText(Path.Combine(Cache, FeatureCacheLayout.ErrorsFileNameOf(shard)), "path,reason\n");
        }
    }

    /// <summary>The name Extract gives the first part of <paramref name="shard"/> (of a run at a fixed time).</summary>
    private static string PartName(ShardSpec shard) => FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(shard), "20260101T000000000", 0);

    private async Task<string> WritePartAsync(string name, FeatureIdentity identity, IEnumerable<FeatureRow> rows)
    {
        string path = Path.Combine(Cache, name);
        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(path, identity, "test");
        foreach (FeatureRow row in rows)
        {
            await writer.AddAsync(row);
        }

        await writer.CommitAsync();
        return path;
    }
}
