using System.Diagnostics;
using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Reporting;
using FacePipeline.Storage;

namespace FacePipeline.Extraction;

/// <summary>
/// Brings a feature cache up to date with an image set: computes features only for images that are new or whose
/// bytes changed, drops rows of images that are gone, and keeps everything else. Images are decoded in parallel and
/// fed to the backbone in batches through a bounded queue, so memory stays flat for any number of images.
/// </summary>
public sealed class Extractor
{
    /// <summary>File name of the contact sheet of what the backbone received, in the cache folder.</summary>
    public const string FacesSheetFileName = "faces.png";

    /// <summary>Crops shown on the contact sheet (the first ones computed, in path order).</summary>
    public const int SheetCrops = 48;

    /// <summary>Images without a face shown on the contact sheet, after the crops.</summary>
    public const int SheetNoFaces = 16;

    private readonly Backbone backbone;
    private readonly Func<BackboneSession> openSession;
    private readonly Func<FaceStageSession>? openFaces;
    private BackboneIdentity identity;

    /// <summary>Creates an extractor.</summary>
    /// <param name="backbone">The backbone whose features the cache holds.</param>
    /// <param name="openSession">Opens the inference session; called only when something has to be computed.</param>
    /// <param name="openFaces">Opens the face stage's detector session when the options' stage detects; called only when something has to be computed.</param>
    public Extractor(Backbone backbone, Func<BackboneSession> openSession, Func<FaceStageSession>? openFaces = null)
    {
        this.backbone = backbone;
        this.openSession = openSession;
        this.openFaces = openFaces;
        identity = backbone.Identity;
    }

    /// <summary>
    /// Runs the extraction. The shard's lock is held throughout (a second writer of the same shard is refused). With
    /// <see cref="ExtractionOptions.Rebuild"/> the shard's old parts are not read and stay the cache until the new set
    /// is committed (<see cref="RebuildManifest"/>). A cancelled run commits the rows computed so far as a part (a
    /// rebuild drops them: its old parts stay) and then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="FeatureCacheException">The cache was made by another backbone (and no rebuild was asked), a part cannot be read or fails its checksum, or another process writes this shard.</exception>
    public async Task<ExtractionSummary> RunAsync(ExtractionOptions options, IProgress<ExtractionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        identity = backbone.Identity with { FaceStage = options.FaceStage.Identity, FlipTta = options.FlipTta ? BackboneIdentity.FlipTtaOn : BackboneIdentity.FlipTtaOff };
        if (options.FaceStage.Detects && openFaces is null)
        {
            throw new ArgumentException("a detecting face stage needs a detector session opener", nameof(options));
        }

        var clock = Stopwatch.StartNew();
        string folder = Path.GetFullPath(options.CacheFolder);
        string prefix = options.Shard.PartPrefix;
        Directory.CreateDirectory(folder);
        using ShardLock held = ShardLock.Acquire(folder, prefix, options.Shard.ToString());
        RebuildManifest.Resolve(folder, prefix);
        FeatureCacheLayout.RemoveTemporaries(folder, prefix);
        string runId = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);

        (List<FeatureCachePart> parts, List<FeatureCachePart> own, List<string> superseded) = await OpenPartsAsync(folder, prefix, options.Rebuild, cancellationToken);
        await VerifyChecksumsAsync(own, options.Shard, cancellationToken);
        RebuildManifest? rebuild = null;
        if (options.Rebuild)
        {
            rebuild = new RebuildManifest(prefix, runId, superseded, Complete: false);
            rebuild.Write(folder);
        }

        try
        {
            ExtractionSummary summary = await ReconcileAndComputeAsync(options, folder, prefix, runId, parts, own, clock, progress, cancellationToken);
            if (rebuild is not null)
            {
                // The one switch from the old parts to the new ones (an atomic rename), then the old are deleted.
                rebuild = rebuild with { Complete = true };
                rebuild.Write(folder);
                rebuild.Finish(folder);
            }

            return summary;
        }
        catch (Exception) when (rebuild is not null && !rebuild.Complete)
        {
            rebuild.Abandon(folder);
            throw;
        }
    }

    private async Task<ExtractionSummary> ReconcileAndComputeAsync(
        ExtractionOptions options,
        string folder,
        string prefix,
        string runId,
        List<FeatureCachePart> parts,
        List<FeatureCachePart> own,
        Stopwatch clock,
        IProgress<ExtractionProgress>? progress,
        CancellationToken cancellationToken)
    {
        List<LabelledImage> images = options.Images.Where(image => options.Shard.Contains(image.Path)).ToList();
        var failures = options.Unlabelled.Where(options.Shard.Contains).Select(p => new ImageFailure(p, ExtractionOptions.UnlabelledReason)).ToList();
        Dictionary<string, HashedImage> wanted = HashImages(images, failures, cancellationToken);

        var toCompute = new List<HashedImage>();
        int removed = 0;
        int changed = 0;
        int cached = 0;
        var alreadyCached = new HashSet<string>(StringComparer.Ordinal);
        foreach (FeatureCachePart part in own)
        {
            (int partRemoved, int partChanged, int partKept) = await ReconcilePartAsync(part, wanted, alreadyCached, cancellationToken);
            removed += partRemoved;
            changed += partChanged;
            cached += partKept;
        }

        cached += await AdoptOtherLayoutRowsAsync(parts, prefix, wanted, alreadyCached, cancellationToken);

        foreach ((string path, HashedImage entry) in wanted)
        {
            if (!alreadyCached.Contains(path))
            {
                toCompute.Add(entry);
            }
        }

        toCompute.Sort((a, b) => string.CompareOrdinal(a.Image.Path, b.Image.Path));
        var computeClock = Stopwatch.StartNew();
        string device = "none";
        int computed = 0;
        if (toCompute.Count > 0)
        {
            using BackboneSession session = openSession();
            using FaceStageSession? faces = options.FaceStage.Detects ? openFaces!() : null;
            device = session.Device;
            computed = await ComputeAsync(new ImageFeaturizer(session, faces, options.FlipTta), toCompute, folder, prefix, runId, options.BatchSize, failures, progress, cancellationToken);
        }

        WriteErrors(folder, options.Shard, failures);
        return new ExtractionSummary(computed, changed, cached, removed, failures, device, computeClock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The cache's parts and this shard's own among them, and with <paramref name="rebuild"/> the file names of the
    /// shard's parts the rebuild supersedes instead (not opened: a rebuild repairs a part that cannot be read);
    /// refuses parts of another backbone.
    /// </summary>
    private async Task<(List<FeatureCachePart> Parts, List<FeatureCachePart> Own, List<string> Superseded)> OpenPartsAsync(
        string folder, string prefix, bool rebuild, CancellationToken cancellationToken)
    {
        var parts = new List<FeatureCachePart>();
        var superseded = new List<string>();
        foreach (string file in FeatureCacheLayout.VisiblePartFiles(folder))
        {
            if (rebuild && FeatureCacheLayout.IsPartOf(Path.GetFileName(file), prefix))
            {
                superseded.Add(Path.GetFileName(file));
            }
            else
            {
                parts.Add(await FeatureCacheReader.ReadPartAsync(file, cancellationToken));
            }
        }

        List<FeatureCachePart> own = parts.Where(p => FeatureCacheLayout.IsPartOf(Path.GetFileName(p.FilePath), prefix)).ToList();
        FeatureCachePart? foreign = parts.FirstOrDefault(p => !p.Identity.Matches(identity));
        if (foreign is not null && foreign.Identity.DiffersOnlyInFaceStage(identity))
        {
            string again = own.Contains(foreign)
                ? $"pass --faces {(foreign.Identity.FaceStage == FaceStage.NoneIdentity ? "none" : "detect")} to keep it, --rebuild to recompute it, or use another --out folder"
                : "rebuild every shard, or use another --out folder";
            throw new FeatureCacheException(
                $"{folder}: cache was made with face stage {FaceStage.ShortOf(foreign.Identity.FaceStage)} ({Path.GetFileName(foreign.FilePath)}), not {FaceStage.ShortOf(identity.FaceStage)}; {again}");
        }

        if (foreign is not null)
        {
            string remedy = own.Contains(foreign)
                ? "use another --out folder, or --rebuild to recompute it with this backbone"
                : "its parts belong to other shards: rebuild every shard, or use another --out folder";
            throw new FeatureCacheException(
                $"{folder}: cache was made by backbone {foreign.Identity} ({Path.GetFileName(foreign.FilePath)}), not {identity}; {remedy}");
        }

        return (parts, own, superseded);
    }

    /// <summary>
    /// Checks this shard's parts against their recorded data checksum before trusting them: a re-run reads only
    /// their path and hash columns, which a flipped bit in the features would pass.
    /// </summary>
    private static async Task VerifyChecksumsAsync(List<FeatureCachePart> own, ShardSpec shard, CancellationToken cancellationToken)
    {
        foreach (FeatureCachePart part in own)
        {
            string? problem = await CacheVerifier.DataChecksumProblemAsync(part.FilePath, cancellationToken);
            if (problem is not null)
            {
                string shardOption = shard.Count == 1 ? string.Empty : $" --shard {shard}";
                throw new FeatureCacheException($"{part.FilePath}: {problem}; re-run Extract{shardOption} with --rebuild to recompute this shard");
            }
        }
    }

    private static Dictionary<string, HashedImage> HashImages(List<LabelledImage> images, List<ImageFailure> failures, CancellationToken cancellationToken)
    {
        var hashes = new string?[images.Count];
        var reasons = new string?[images.Count];
        Parallel.For(0, images.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            try
            {
                hashes[i] = ContentHash.OfFile(images[i].FullPath);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                reasons[i] = $"cannot read file ({error.Message})";
            }
        });

        var wanted = new Dictionary<string, HashedImage>(StringComparer.Ordinal);
        for (int i = 0; i < images.Count; i++)
        {
            if (hashes[i] is null)
            {
                failures.Add(new ImageFailure(images[i].Path, reasons[i]!));
            }
            else
            {
                wanted[images[i].Path] = new HashedImage(images[i], hashes[i]!);
            }
        }

        return wanted;
    }

    /// <summary>
    /// Counts as cached the rows of this shard's images that parts of another shard layout already hold (a sharded run
    /// over a cache made unsharded or with another N), so they are not computed a second time. Those parts belong to
    /// another layout and are never rewritten here, so a row there with other bytes is refused instead of duplicated.
    /// </summary>
    private static async Task<int> AdoptOtherLayoutRowsAsync(
        IReadOnlyList<FeatureCachePart> parts,
        string prefix,
        Dictionary<string, HashedImage> wanted,
        HashSet<string> alreadyCached,
        CancellationToken cancellationToken)
    {
        int adopted = 0;
        foreach (FeatureCachePart part in parts.Where(p => !FeatureCacheLayout.IsPartOf(Path.GetFileName(p.FilePath), prefix)))
        {
            await foreach (FeatureRow row in FeatureCacheReader.ReadPartRowsAsync(part, includeFeatures: false, cancellationToken))
            {
                if (!wanted.TryGetValue(row.Path, out HashedImage? entry) || alreadyCached.Contains(row.Path))
                {
                    continue;
                }

                if (entry.Sha256 != row.Sha256)
                {
                    throw new FeatureCacheException(
                        $"{part.FilePath}: holds {row.Path} with other bytes and belongs to another --shard layout; re-run Extract without --shard to update it");
                }

                alreadyCached.Add(row.Path);
                adopted++;
            }
        }

        return adopted;
    }

    /// <summary>
    /// Keeps the rows of a part whose image is still wanted with the same bytes (updating label and split from the
    /// input), and rewrites the part atomically when any row has to go or change.
    /// </summary>
    private async Task<(int Removed, int Changed, int Kept)> ReconcilePartAsync(
        FeatureCachePart part,
        Dictionary<string, HashedImage> wanted,
        HashSet<string> alreadyCached,
        CancellationToken cancellationToken)
    {
        int removed = 0;
        int changed = 0;
        bool rewrite = false;
        var keep = new HashSet<string>(StringComparer.Ordinal);
        await foreach (FeatureRow row in FeatureCacheReader.ReadPartRowsAsync(part, includeFeatures: false, cancellationToken))
        {
            if (!wanted.TryGetValue(row.Path, out HashedImage? entry))
            {
                removed++;
                rewrite = true;
            }
            else if (entry.Sha256 != row.Sha256 || alreadyCached.Contains(row.Path))
            {
                changed += entry.Sha256 != row.Sha256 ? 1 : 0;
                rewrite = true;
            }
            else
            {
                keep.Add(row.Path);
                rewrite |= entry.Image.Label != row.Label || entry.Image.Split != row.Split;
            }
        }

        if (rewrite)
        {
            await RewritePartAsync(part, keep, wanted, cancellationToken);
        }

        alreadyCached.UnionWith(keep);
        return (removed, changed, keep.Count);
    }

    private async Task RewritePartAsync(FeatureCachePart part, HashSet<string> keep, Dictionary<string, HashedImage> wanted, CancellationToken cancellationToken)
    {
        if (keep.Count == 0)
        {
            File.Delete(part.FilePath);
            return;
        }

        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(part.FilePath, identity, ToolInfo.Version, cancellationToken);
        await foreach (FeatureRow row in FeatureCacheReader.ReadPartRowsAsync(part, includeFeatures: true, cancellationToken))
        {
            if (keep.Contains(row.Path))
            {
                LabelledImage image = wanted[row.Path].Image;
                await writer.AddAsync(row with { Label = image.Label!, Split = image.Split }, cancellationToken);
            }
        }

        await writer.CommitAsync(cancellationToken);
    }

    private async Task<int> ComputeAsync(
        ImageFeaturizer featurizer,
        List<HashedImage> work,
        string folder,
        string prefix,
        string runId,
        int batchSize,
        List<ImageFailure> failures,
        IProgress<ExtractionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int partNumber = 0;
        FeatureCachePartWriter? writer = null;
        int done = 0;
        int computed = 0;
        var crops = new List<ContactSheetTile>();
        var noFaces = new List<ContactSheetTile>();
        try
        {
            await foreach (FeaturizedImage result in featurizer.FeaturizeAsync(work, batchSize, cancellationToken: cancellationToken))
            {
                done++;
                CollectTile(result, crops, noFaces);
                if (result.Features is null)
                {
                    failures.Add(new ImageFailure(result.Image.Path, result.Failure!));
                }
                else
                {
                    writer ??= await FeatureCachePartWriter.CreateAsync(
                        Path.Combine(folder, FeatureCacheLayout.PartFileName(prefix, runId, partNumber++)), identity, ToolInfo.Version, cancellationToken);
                    await writer.AddAsync(new FeatureRow(result.Image.Path, result.Image.Label!, result.Image.Split, result.Sha256, result.Features, result.Face), cancellationToken);
                    computed++;
                    if (writer.RowCount >= FeatureCacheSchema.PartRows)
                    {
                        // Each finished part is progress that survives an interrupted run.
                        await writer.CommitAsync(cancellationToken);
                        await writer.DisposeAsync();
                        writer = null;
                    }
                }

                if (done % batchSize == 0 || done == work.Count)
                {
                    progress?.Report(new ExtractionProgress(done, work.Count, failures.Count, clock.Elapsed.TotalSeconds));
                }
            }

            if (writer is not null)
            {
                await writer.CommitAsync(cancellationToken);
            }

            WriteSheet(folder, featurizer.Identity, crops, noFaces);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && writer is not null)
        {
            // Stopped (SIGTERM, Ctrl-C): the rows computed so far are kept as a part, so a re-run computes only the rest.
            await writer.CommitAsync(CancellationToken.None);
            throw;
        }
        finally
        {
            if (writer is not null)
            {
                await writer.DisposeAsync();
            }
        }

        return computed;
    }

    /// <summary>Keeps the first crops (as the backbone received them) and the first images without a face for the contact sheet.</summary>
    private static void CollectTile(FeaturizedImage result, List<ContactSheetTile> crops, List<ContactSheetTile> noFaces)
    {
        if (result.Crop is null)
        {
            return;
        }

        if (result.Features is not null && crops.Count < SheetCrops)
        {
            string? score = result.Face is null ? null : string.Create(CultureInfo.InvariantCulture, $"score {result.Face.Score:0.00}");
            crops.Add(new ContactSheetTile(result.Crop.Rgb, result.Crop.WidthPx, result.Crop.HeightPx, result.Image.Label ?? Path.GetFileName(result.Image.Path), score));
        }
        else if (result.NoFace && noFaces.Count < SheetNoFaces)
        {
            noFaces.Add(new ContactSheetTile(result.Crop.Rgb, result.Crop.WidthPx, result.Crop.HeightPx, "no face", Path.GetFileName(result.Image.Path)));
        }
    }

    /// <summary>Writes <see cref="FacesSheetFileName"/>: what this run fed the backbone, so a person checks the face stage at a glance.</summary>
    private static void WriteSheet(string folder, BackboneIdentity identity, List<ContactSheetTile> crops, List<ContactSheetTile> noFaces)
    {
        if (crops.Count + noFaces.Count == 0)
        {
            return;
        }

        string title = $"{identity.Name}, faces {FaceStage.ShortOf(identity.FaceStage)}: first {crops.Count} inputs as the backbone sees them"
            + (noFaces.Count > 0 ? $", then {noFaces.Count} image(s) without a face" : string.Empty);
        byte[] png = ContactSheet.RenderPng(title, [.. crops, .. noFaces]);
        AtomicFile.Write(Path.Combine(folder, FacesSheetFileName), stream => stream.Write(png));
    }

    private static void WriteErrors(string folder, ShardSpec shard, List<ImageFailure> failures)
    {
        string path = Path.Combine(folder, FeatureCacheLayout.ErrorsFileNameOf(shard));
        failures.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        string[] header = ["path", "reason"];
        string[][] rows = failures.Select(f => new[] { f.Path, f.Reason }).ToArray();
        // Written only when its content changes, so an unchanged re-run writes nothing (a read-only cache works).
        using var rendered = new MemoryStream();
        CsvTable.Write(rendered, header, rows);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(rendered.ToArray()))
        {
            return;
        }

        CsvTable.Write(path, header, rows);
    }

}
