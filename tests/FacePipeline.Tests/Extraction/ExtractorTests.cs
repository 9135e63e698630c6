using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>
/// Incremental extraction with the small fixture backbone over a copy of 3 ORL people × 4 images: what is computed,
/// kept, removed and skipped, the refusal of another backbone's cache, interruption and sharding.
/// </summary>
public sealed class ExtractorTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string model;

    public ExtractorTests()
    {
        model = FixtureBackbone.Write(temp.Combine("models"));
        CopyOrl(people: 3, imagesEach: 4);
    }

    private string Images => temp.Combine("images");

    private string Cache => temp.Combine("cache");

    [Fact]
    public async Task A_first_run_computes_everything_and_an_unchanged_rerun_nothing()
    {
        CliRun first = await Extract();
        CliRun again = await Extract();

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Contains("extract: 12 new, 0 cached, 0 removed, 0 failed (", first.Error, StringComparison.Ordinal);
        Assert.Contains("device cpu", first.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Contains("extract: 0 new, 12 cached, 0 removed, 0 failed (", again.Error, StringComparison.Ordinal);
        Assert.Contains("device none", again.Error, StringComparison.Ordinal);
        Assert.Empty(first.Out);

        Dictionary<string, FeatureRow> rows = await ReadCache(Cache);
        Assert.Equal(12, rows.Count);
        Assert.Equal(["s1", "s2", "s3"], rows.Values.Select(r => r.Label).Distinct().Order());
        Assert.Equal(ContentHash.OfFile(Path.Combine(Images, "s2", "3.pgm")), rows["s2/3.pgm"].Sha256);
        Assert.All(rows.Values, r => Assert.Equal(7 * 7 * 512, r.Features.Length));
        Assert.Equal(["path,reason"], File.ReadAllLines(Path.Combine(Cache, "errors.csv")));
    }

    [Fact]
    public async Task A_changed_image_is_recomputed_and_the_others_kept()
    {
        await Extract();
        Dictionary<string, FeatureRow> before = await ReadCache(Cache);
        string changed = Path.Combine(Images, "s2", "3.pgm");
        Reencode(changed);

        ExtractionSummary summary = await RunExtractor(ImageFolderReader.Read(Images));

        Assert.Equal("1 new, 11 cached, 0 removed, 0 failed", summary.Line);
        Assert.Equal(1, summary.Changed);
        Dictionary<string, FeatureRow> after = await ReadCache(Cache);
        Assert.Equal(12, after.Count);
        Assert.Equal(ContentHash.OfFile(changed), after["s2/3.pgm"].Sha256);
        Assert.NotEqual(before["s2/3.pgm"].Sha256, after["s2/3.pgm"].Sha256);
        Assert.NotEqual(before["s2/3.pgm"].Features, after["s2/3.pgm"].Features);
        Assert.Equal(before["s1/1.pgm"].Features, after["s1/1.pgm"].Features);
    }

    [Fact]
    public async Task A_deleted_image_is_removed_from_the_cache()
    {
        await Extract();
        File.Delete(Path.Combine(Images, "s3", "4.pgm"));

        CliRun run = await Extract();

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("extract: 0 new, 11 cached, 1 removed, 0 failed (", run.Error, StringComparison.Ordinal);
        Dictionary<string, FeatureRow> rows = await ReadCache(Cache);
        Assert.Equal(11, rows.Count);
        Assert.DoesNotContain("s3/4.pgm", rows.Keys);
    }

    [Fact]
    public async Task Bad_files_are_skipped_named_and_listed_and_strict_fails_the_run()
    {
        File.WriteAllBytes(Path.Combine(Images, "s1", "empty.pgm"), []);
        File.WriteAllText(Path.Combine(Images, "s2", "notes.txt"), "taken on a Tuesday, by the window\n");
        using (Image<L8> face = Image.Load<L8>(TestPaths.OrlImage(3, 5)))
        using (var png = new MemoryStream())
        {
            face.SaveAsPng(png);
            File.WriteAllBytes(Path.Combine(Images, "s3", "cut.png"), png.ToArray()[..(int)(png.Length / 2)]);
        }

        CliRun run = await Extract();
        CliRun strict = await Extract("--strict");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("extract: 12 new, 0 cached, 0 removed, 3 failed (", run.Error, StringComparison.Ordinal);
        Assert.Contains("skipped: s1/empty.pgm: empty file (0 bytes)", run.ErrorLines);
        Assert.Contains("skipped: s2/notes.txt: not an image in a supported format (JPEG, PNG, GIF, BMP, PBM/PGM, TIFF, WebP, TGA)", run.ErrorLines);
        Assert.Contains(run.ErrorLines, l => l.StartsWith("skipped: s3/cut.png: corrupt or truncated image (", StringComparison.Ordinal));
        Assert.DoesNotContain("error:", run.Error, StringComparison.Ordinal);
        string[] errors = File.ReadAllLines(Path.Combine(Cache, "errors.csv"));
        Assert.Equal("path,reason", errors[0]);
        Assert.Equal(["s1/empty.pgm", "s2/notes.txt", "s3/cut.png"], errors.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(12, (await ReadCache(Cache)).Count);

        Assert.Equal(ExitCodes.Failed, strict.ExitCode);
        Assert.Contains("extract: 0 new, 12 cached, 0 removed, 3 failed (", strict.Error, StringComparison.Ordinal);
        Assert.Equal("error: 3 image(s) could not be read and --strict is set", strict.ErrorLines[^1]);
        Assert.DoesNotContain("   at ", strict.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listed_image_that_does_not_exist_is_skipped()
    {
        string manifest = Path.Combine(Images, "m.csv");
        File.WriteAllLines(manifest, ["path,label", "s1/1.pgm,s1", "s9/gone.pgm,s9"]);

        CliRun run = await CliRun.Extract("--manifest", manifest, "--out", Cache, "--model", model, "--device", "cpu");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("extract: 1 new, 0 cached, 0 removed, 1 failed (", run.Error, StringComparison.Ordinal);
        Assert.Contains(run.ErrorLines, l => l.StartsWith("skipped: s9/gone.pgm: cannot read file (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cache_from_another_backbone_is_refused_until_rebuilt()
    {
        await Extract();
        string other = FixtureBackbone.Write(temp.Combine("other-models"), "other-net", seed: 7);

        CliRun refused = await CliRun.Extract("--images", Images, "--out", Cache, "--model", other, "--device", "cpu");

        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        string error = Assert.Single(refused.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: {Path.GetFullPath(Cache)}: cache part part-", error, StringComparison.Ordinal);
        Assert.Contains(".parquet was made with backbone vgg16-notop (sha256 ", error, StringComparison.Ordinal);
        Assert.Contains(", but this run with other-net (sha256 ", error, StringComparison.Ordinal);
        Assert.EndsWith("use another --out folder, or --rebuild to recompute it with this backbone", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Error, StringComparison.Ordinal);
        Assert.Equal("vgg16-notop", (await FeatureCacheReader.OpenAsync(Cache)).Identity!.Backbone.Name);

        CliRun rebuilt = await CliRun.Extract("--images", Images, "--out", Cache, "--model", other, "--device", "cpu", "--rebuild");

        Assert.Equal(ExitCodes.Success, rebuilt.ExitCode);
        Assert.Contains("extract: 12 new, 0 cached, 0 removed, 0 failed (", rebuilt.Error, StringComparison.Ordinal);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(Cache);
        Assert.Equal("other-net", reader.Identity!.Backbone.Name);
        Assert.Equal(12, reader.RowCount);
    }

    [Fact]
    public async Task An_interrupted_run_leaves_the_old_cache_intact_keeps_what_it_computed_and_a_rerun_finishes()
    {
        await RunExtractor(ImageFolderReader.Read(Images));
        string[] partsBefore = PartFiles();
        Dictionary<string, string> bytesBefore = partsBefore.ToDictionary(p => p, ContentHash.OfFile);
        Dictionary<string, FeatureRow> rowsBefore = await ReadCache(Cache);
        CopyOrl(people: 5, imagesEach: 4, firstPerson: 4);

        using var stop = new CancellationTokenSource();
        int reports = 0;
        var cancelOnFirstReport = new SynchronousProgress<ExtractionProgress>(_ =>
        {
            reports++;
            stop.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => RunExtractor(ImageFolderReader.Read(Images), batchSize: 2, progress: cancelOnFirstReport, cancellationToken: stop.Token));

        // The old parts are untouched; the 2 rows computed before the stop were committed as one more part.
        Assert.Equal(1, reports);
        Assert.Equal(partsBefore.Length + 1, PartFiles().Length);
        Assert.All(partsBefore, p => Assert.Equal(bytesBefore[p], ContentHash.OfFile(p)));
        Dictionary<string, FeatureRow> rowsAfter = await ReadCache(Cache);
        Assert.Equal(rowsBefore.Keys.Append("s4/1.pgm").Append("s4/2.pgm").Order(StringComparer.Ordinal), rowsAfter.Keys.Order(StringComparer.Ordinal));
        Assert.All(rowsBefore, pair => Assert.Equal(pair.Value.Features, rowsAfter[pair.Key].Features));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Cache), f => Path.GetFileName(f).Contains(FacePipeline.Storage.AtomicFile.Marker, StringComparison.Ordinal));

        ExtractionSummary resumed = await RunExtractor(ImageFolderReader.Read(Images));
        Assert.Equal("18 new, 14 cached, 0 removed, 0 failed", resumed.Line);
        Assert.Equal(32, (await ReadCache(Cache)).Count);
    }

    [Fact]
    public async Task An_interrupted_run_over_a_changed_image_drops_only_its_stale_row()
    {
        // The stale row is dropped before the new features are computed: after an interruption the cache holds
        // every unchanged row and no features that disagree with the file on disk.
        await RunExtractor(ImageFolderReader.Read(Images));
        Dictionary<string, FeatureRow> rowsBefore = await ReadCache(Cache);
        string changed = Path.Combine(Images, "s1", "2.pgm");
        Reencode(changed);
        CopyOrl(people: 4, imagesEach: 4, firstPerson: 4);

        using var stop = new CancellationTokenSource();
        var cancelOnFirstReport = new SynchronousProgress<ExtractionProgress>(_ => stop.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => RunExtractor(ImageFolderReader.Read(Images), batchSize: 2, progress: cancelOnFirstReport, cancellationToken: stop.Token));

        // Computed before the stop (paths in order): the changed s1/2.pgm and s4/1.pgm.
        Dictionary<string, FeatureRow> rowsAfter = await ReadCache(Cache);
        Assert.Equal(rowsBefore.Keys.Append("s4/1.pgm").Order(StringComparer.Ordinal), rowsAfter.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ContentHash.OfFile(changed), rowsAfter["s1/2.pgm"].Sha256);
        Assert.NotEqual(rowsBefore["s1/2.pgm"].Features, rowsAfter["s1/2.pgm"].Features);
        Assert.All(rowsBefore.Where(p => p.Key != "s1/2.pgm"), pair => Assert.Equal(pair.Value.Features, rowsAfter[pair.Key].Features));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Cache), f => Path.GetFileName(f).Contains(FacePipeline.Storage.AtomicFile.Marker, StringComparison.Ordinal));

        ExtractionSummary resumed = await RunExtractor(ImageFolderReader.Read(Images));
        Assert.Equal("15 new, 13 cached, 0 removed, 0 failed", resumed.Line);
    }

    [Fact]
    public async Task Three_shards_into_one_cache_equal_one_unsharded_run()
    {
        CopyOrl(people: 2, imagesEach: 4, firstPerson: 4);
        CliRun whole = await CliRun.Extract("--images", Images, "--out", temp.Combine("whole"), "--model", model, "--device", "cpu");
        var shards = new List<CliRun>();
        foreach (string shard in new[] { "0/3", "1/3", "2/3" })
        {
            shards.Add(await Extract("--shard", shard));
        }

        Assert.Equal(ExitCodes.Success, whole.ExitCode);
        Assert.All(shards, s => Assert.Equal(ExitCodes.Success, s.ExitCode));
        Dictionary<string, FeatureRow> expected = await ReadCache(temp.Combine("whole"));
        Dictionary<string, FeatureRow> sharded = await ReadCache(Cache);
        Assert.Equal(20, expected.Count);
        Assert.Equal(expected.Keys.Order(), sharded.Keys.Order());
        foreach ((string path, FeatureRow row) in expected)
        {
            float[] other = sharded[path].Features;
            for (int i = 0; i < row.Features.Length; i++)
            {
                // Batch composition may change the order of float sums inside ONNX Runtime's kernels.
                Assert.InRange(other[i] - row.Features[i], -1e-4f, 1e-4f);
            }
        }

        Assert.All(PartFiles(), p => Assert.Matches("^part-shard[012]of3-", Path.GetFileName(p)));
        Assert.True(File.Exists(Path.Combine(Cache, "errors-shard1of3.csv")));

        // Re-running one shard keeps its rows and leaves the other shards' rows alone.
        CliRun again = await Extract("--shard", "1/3");
        Assert.Contains(" cached, 0 removed, 0 failed (", again.Error, StringComparison.Ordinal);
        Assert.Contains("extract: 0 new, ", again.Error, StringComparison.Ordinal);
        Assert.Equal(20, (await ReadCache(Cache)).Count);

        // An unsharded run over the sharded cache owns every part and computes nothing.
        CliRun unsharded = await Extract();
        Assert.Contains("extract: 0 new, 20 cached, 0 removed, 0 failed (", unsharded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sharded_run_over_an_unsharded_cache_does_not_duplicate_rows()
    {
        await Extract();

        CliRun shard = await Extract("--shard", "0/2");

        Assert.Equal(ExitCodes.Success, shard.ExitCode);
        List<string> paths = (await CacheRows.ReadAllAsync(Cache)).Select(row => row.Path).ToList();

        Assert.Equal(12, paths.Count);
        Assert.Equal(12, paths.Distinct().Count());
        int inShard = paths.Count(new ShardSpec(0, 2).Contains);
        Assert.Contains($"extract: 0 new, {inShard} cached, 0 removed, 0 failed (", shard.Error, StringComparison.Ordinal);

        // The unsharded part is not this shard's to rewrite: a changed image there is refused, not cached twice.
        string changed = paths.First(new ShardSpec(0, 2).Contains);
        Reencode(Path.Combine(Images, changed));
        CliRun refused = await Extract("--shard", "0/2");
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains($"holds {changed} with other bytes and belongs to another --shard layout; re-run Extract without --shard to update it", refused.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Contains("extract: 1 new, 11 cached, 0 removed, 0 failed (", (await Extract()).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relabelled_image_gets_its_new_label_without_recomputing()
    {
        string manifest = Path.Combine(Images, "people.csv");
        string[] lines = ["path,label", .. ImageFolderReader.Read(Images).Select(i => $"{i.Path},{i.Label}")];
        File.WriteAllLines(manifest, lines);
        CliRun first = await CliRun.Extract("--manifest", manifest, "--out", Cache, "--model", model, "--device", "cpu");
        Dictionary<string, FeatureRow> before = await ReadCache(Cache);

        File.WriteAllLines(manifest, ["path,label,split", .. lines.Skip(1).Select(l => l == "s2/1.pgm,s2" ? "s2/1.pgm,s3,val" : l + ",")]);
        CliRun relabelled = await CliRun.Extract("--manifest", manifest, "--out", Cache, "--model", model, "--device", "cpu");

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Contains("extract: 0 new, 12 cached, 0 removed, 0 failed (", relabelled.Error, StringComparison.Ordinal);
        Assert.Contains("device none", relabelled.Error, StringComparison.Ordinal);
        Dictionary<string, FeatureRow> after = await ReadCache(Cache);
        Assert.Equal("s3", after["s2/1.pgm"].Label);
        Assert.Equal("val", after["s2/1.pgm"].Split);
        Assert.Equal(before["s2/1.pgm"].Features, after["s2/1.pgm"].Features);
        Assert.Equal(before["s2/1.pgm"].Sha256, after["s2/1.pgm"].Sha256);
        Assert.Equal("s2", after["s2/2.pgm"].Label);
    }

    [Fact]
    public async Task A_pgm_with_maxval_0_among_good_images_is_skipped_and_named()
    {
        File.WriteAllBytes(Path.Combine(Images, "s2", "hostile.pgm"), [.. System.Text.Encoding.ASCII.GetBytes("P5\n4 4\n0\n"), .. new byte[16]]);

        CliRun run = await Extract();
        CliRun again = await Extract();

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("extract: 12 new, 0 cached, 0 removed, 1 failed (", run.Error, StringComparison.Ordinal);
        Assert.Contains("skipped: s2/hostile.pgm: PGM/PPM maxval 0 (must be 1 to 65535)", run.ErrorLines);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.Equal(["path,reason", "s2/hostile.pgm,PGM/PPM maxval 0 (must be 1 to 65535)"], File.ReadAllLines(Path.Combine(Cache, "errors.csv")));
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Contains("extract: 0 new, 12 cached, 0 removed, 1 failed (", again.Error, StringComparison.Ordinal);
        Assert.Equal(12, (await ReadCache(Cache)).Count);
    }

    [Fact]
    public async Task An_out_folder_inside_the_image_folder_is_not_scanned()
    {
        string cache = Path.Combine(Images, "cache");
        string[] args = ["--images", Images, "--out", cache, "--model", model, "--device", "cpu"];

        CliRun first = await CliRun.Extract(args);
        CliRun again = await CliRun.Extract(args);

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Contains("extract: 12 images,", first.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Contains("extract: 12 images,", again.Error, StringComparison.Ordinal);
        Assert.Contains("extract: 0 new, 12 cached, 0 removed, 0 failed (", again.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("skipped:", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unchanged_rerun_does_not_rewrite_errors_csv()
    {
        File.WriteAllText(Path.Combine(Images, "s2", "notes.txt"), "not an image\n");
        await Extract();
        string errors = Path.Combine(Cache, "errors.csv");
        var old = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(errors, old);
        string before = File.ReadAllText(errors);

        CliRun again = await Extract();

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(old, File.GetLastWriteTimeUtc(errors));
        Assert.Equal(before, File.ReadAllText(errors));

        File.Delete(Path.Combine(Images, "s2", "notes.txt"));
        CliRun fixedRun = await Extract();

        Assert.Equal(ExitCodes.Success, fixedRun.ExitCode);
        Assert.Equal(["path,reason"], File.ReadAllLines(errors));
    }

    [ImmutableFilesFact]
    public async Task An_unchanged_rerun_works_on_a_read_only_cache()
    {
        await Extract();
        // Tests run as root, where permissions do not stop writes; the immutable attribute does.
        string[] entries = [Cache, .. Directory.GetFiles(Cache)];
        Assert.True(ImmutableFilesFactAttribute.Chattr("+i", entries), "chattr +i on the cache");

        try
        {
            Assert.Throws<UnauthorizedAccessException>(() => File.WriteAllText(Path.Combine(Cache, "probe.txt"), "x"));

            CliRun again = await Extract();

            Assert.Equal(ExitCodes.Success, again.ExitCode);
            Assert.Contains("extract: 0 new, 12 cached, 0 removed, 0 failed (", again.Error, StringComparison.Ordinal);
        }
        finally
        {
            ImmutableFilesFactAttribute.Chattr("-i", entries);
        }
    }

    public void Dispose() => temp.Dispose();

    private Task<CliRun> Extract(params string[] extra) =>
        CliRun.Extract(["--images", Images, "--out", Cache, "--model", model, "--device", "cpu", .. extra]);

    private async Task<ExtractionSummary> RunExtractor(
        IReadOnlyList<LabelledImage> images, int batchSize = 32, IProgress<ExtractionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Backbone backbone = Backbone.Load(Path.ChangeExtension(model, ".json"));
        var extractor = new Extractor(backbone, () => BackboneSession.Open(backbone, DeviceSpec.Cpu, out _));
        return await extractor.RunAsync(new ExtractionOptions { Images = images, CacheFolder = Cache, BatchSize = batchSize }, progress, cancellationToken);
    }

    private string[] PartFiles() => Directory.GetFiles(Cache, FeatureCacheLayout.PartPattern).Order(StringComparer.Ordinal).ToArray();

    private void CopyOrl(int people, int imagesEach, int firstPerson = 1)
    {
        for (int person = firstPerson; person < firstPerson + people; person++)
        {
            Directory.CreateDirectory(Path.Combine(Images, $"s{person}"));
            for (int image = 1; image <= imagesEach; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(Images, $"s{person}", $"{image}.pgm"));
            }
        }
    }

    /// <summary>Re-encodes an image with other pixels (mirrored), so its bytes and its features change.</summary>
    private static void Reencode(string path)
    {
        using Image<L8> image = Image.Load<L8>(path);
        image.Mutate(context => context.Flip(FlipMode.Horizontal));
        image.SaveAsPbm(path);
    }

    private static async Task<Dictionary<string, FeatureRow>> ReadCache(string cache)
    {
        var rows = new Dictionary<string, FeatureRow>(StringComparer.Ordinal);
        foreach (FeatureRow row in await CacheRows.ReadAllAsync(cache))
        {
            Assert.True(rows.TryAdd(row.Path, row), $"{row.Path} is cached twice");
        }

        return rows;
    }
}
