using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>
/// <c>--rebuild</c> keeps the old parts until the new set is committed (a rebuild that cannot start, is stopped, or
/// killed between the switch and the deletion), does not read the parts it replaces, and a re-run notices a damaged
/// part by its data checksum.
/// </summary>
public sealed class RebuildTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string model;

    public RebuildTests()
    {
        model = FixtureBackbone.Write(temp.Combine("models"));
        for (int person = 1; person <= 3; person++)
        {
            Directory.CreateDirectory(Path.Combine(Images, $"s{person}"));
            for (int image = 1; image <= 4; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(Images, $"s{person}", $"{image}.pgm"));
            }
        }
    }

    private string Images => temp.Combine("images");

    private string Cache => temp.Combine("cache");

    /// <summary>The unsharded shard's part prefix.</summary>
    private static string Prefix => FeatureCacheLayout.PartPrefix(ShardSpec.All);

    /// <summary>The run id of a rebuild in the far future, so its parts sort after Extract's own.</summary>
    private static string Run => "29990101T000000000";

    [Fact]
    public async Task A_rebuild_that_cannot_open_cuda_keeps_the_old_parts()
    {
        Assert.Equal(ExitCodes.Success, (await Extract()).ExitCode);
        Dictionary<string, string> before = PartHashes();

        CliRun rebuild = await CliRun.Extract("--images", Images, "--out", Cache, "--model", model, "--device", "cuda", "--rebuild");

        Assert.Equal(ExitCodes.Failed, rebuild.ExitCode);
        Assert.Contains(rebuild.ErrorLines, l => l.StartsWith("error: cuda:0: CUDA execution provider unavailable", StringComparison.Ordinal));
        Assert.Equal(before, PartHashes());
        Assert.Equal(12, (await CacheRows.ReadAllAsync(Cache)).Count);
        Assert.Empty(FeatureCacheLayout.RebuildFiles(Cache));
    }

    [Fact]
    public async Task A_stopped_rebuild_keeps_the_old_parts_and_drops_its_own()
    {
        Assert.Equal(ExitCodes.Success, (await Extract()).ExitCode);
        Dictionary<string, string> before = PartHashes();

        using var stop = new CancellationTokenSource();
        var cancelOnFirstReport = new SynchronousProgress<ExtractionProgress>(_ => stop.Cancel());
        Backbone backbone = Backbone.Load(Path.ChangeExtension(model, ".json"));
        var extractor = new Extractor(backbone, () => BackboneSession.Open(backbone, DeviceSpec.Cpu, out _));
        var options = new ExtractionOptions { Images = ImageFolderReader.Read(Images), CacheFolder = Cache, BatchSize = 2, Rebuild = true };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => extractor.RunAsync(options, cancelOnFirstReport, stop.Token));

        Assert.Equal(before, PartHashes());
        Assert.Empty(FeatureCacheLayout.RebuildFiles(Cache));
        Assert.Equal("0 new, 12 cached, 0 removed, 0 failed", (await extractor.RunAsync(options with { Rebuild = false })).Line);
    }

    [Fact]
    public async Task A_rebuild_killed_before_its_switch_leaves_the_old_parts_visible_and_the_next_run_drops_the_new()
    {
        Assert.Equal(ExitCodes.Success, (await Extract()).ExitCode);
        Dictionary<string, string> before = PartHashes();
        // What a kill leaves while a rebuild computes: its manifest (incomplete) and a committed new part.
        string old = Assert.Single(before.Keys);
        string runPart = Path.Combine(Cache, FeatureCacheLayout.PartFileName(Prefix, Run, 0));
        File.Copy(old, runPart);
        new RebuildManifest(Prefix, Run, [Path.GetFileName(old)], Complete: false).Write(Cache);

        Assert.Equal(12, (await CacheRows.ReadAllAsync(Cache)).Count);
        Assert.Equal([old], (await FeatureCacheReader.OpenAsync(Cache)).Parts.Select(p => p.FilePath));

        CliRun next = await Extract();

        Assert.Equal(ExitCodes.Success, next.ExitCode);
        Assert.Contains("extract: 0 new, 12 cached, 0 removed, 0 failed (", next.Error, StringComparison.Ordinal);
        Assert.Equal(before, PartHashes());
        Assert.Empty(FeatureCacheLayout.RebuildFiles(Cache));
    }

    [Fact]
    public async Task A_rebuild_killed_after_its_switch_shows_only_the_new_parts_and_the_next_run_deletes_the_old()
    {
        Assert.Equal(ExitCodes.Success, (await Extract()).ExitCode);
        string old = Assert.Single(PartHashes().Keys);
        string runPart = Path.Combine(Cache, FeatureCacheLayout.PartFileName(Prefix, Run, 0));
        File.Copy(old, runPart);
        new RebuildManifest(Prefix, Run, [Path.GetFileName(old)], Complete: true).Write(Cache);

        Assert.Equal(12, (await CacheRows.ReadAllAsync(Cache)).Count);
        Assert.Equal([runPart], (await FeatureCacheReader.OpenAsync(Cache)).Parts.Select(p => p.FilePath));
        Assert.Equal(ExitCodes.Success, (await CliRun.Extract("verify", Cache)).ExitCode);

        CliRun next = await Extract();

        Assert.Equal(ExitCodes.Success, next.ExitCode);
        Assert.Equal([runPart], PartHashes().Keys);
        Assert.Empty(FeatureCacheLayout.RebuildFiles(Cache));
    }

    [Fact]
    public async Task A_flipped_bit_in_a_part_is_noticed_by_a_rerun_and_repaired_by_rebuild()
    {
        Assert.Equal(ExitCodes.Success, (await Extract()).ExitCode);
        string part = Assert.Single(PartHashes().Keys);
        byte[] bytes = File.ReadAllBytes(part);
        // Inside the feature values (the data pages take most of the file): no decoder notices, the checksum does.
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(part, bytes);

        CliRun rerun = await Extract();

        Assert.Equal(ExitCodes.Failed, rerun.ExitCode);
        string error = Assert.Single(rerun.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: {part}: data checksum mismatch (", error, StringComparison.Ordinal);
        Assert.EndsWith("; re-run Extract with --rebuild to recompute this shard", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", rerun.Error, StringComparison.Ordinal);

        CliRun rebuilt = await Extract("--rebuild");

        Assert.Equal(ExitCodes.Success, rebuilt.ExitCode);
        Assert.Contains("extract: 12 new, 0 cached, 0 removed, 0 failed (", rebuilt.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(part));
        Assert.Equal(ExitCodes.Success, (await CliRun.Extract("verify", Cache)).ExitCode);
    }

    [Fact]
    public async Task A_part_that_cannot_be_opened_is_repaired_by_rebuild()
    {
        Assert.Equal(ExitCodes.Success, (await Extract()).ExitCode);
        string part = Assert.Single(PartHashes().Keys);
        File.WriteAllText(part, "not parquet at all");

        CliRun rerun = await Extract();
        CliRun rebuilt = await Extract("--rebuild");

        Assert.Equal(ExitCodes.Failed, rerun.ExitCode);
        Assert.Contains(rerun.ErrorLines, l => l.StartsWith($"error: {part}:", StringComparison.Ordinal));
        Assert.Equal(ExitCodes.Success, rebuilt.ExitCode);
        Assert.Contains("extract: 12 new, 0 cached, 0 removed, 0 failed (", rebuilt.Error, StringComparison.Ordinal);
        Assert.Equal(12, (await CacheRows.ReadAllAsync(Cache)).Count);
    }

    public void Dispose() => temp.Dispose();

    private Dictionary<string, string> PartHashes() =>
        Directory.GetFiles(Cache, FeatureCacheLayout.PartPattern).Order(StringComparer.Ordinal).ToDictionary(p => p, ContentHash.OfFile);

    private Task<CliRun> Extract(params string[] extra) =>
        CliRun.Extract(["--images", Images, "--out", Cache, "--model", model, "--device", "cpu", .. extra]);
}
