using System.Diagnostics;
using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Reporting;

namespace FacePipeline.Extraction;

/// <summary>
/// Brings a feature cache up to date with an image set: computes features only for images that are new or whose
/// bytes changed, drops rows of images that are gone, and keeps everything else. Images are decoded in parallel and
/// fed to the backbone in batches through a bounded queue, so memory stays flat for any number of images.
/// </summary>
public sealed class Extractor
{
    /// <summary>Crops shown on the contact sheet (the first ones computed, in path order).</summary>
    public const int SheetCrops = 48;

    /// <summary>Images without a face shown on the contact sheet, after the crops.</summary>
    public const int SheetNoFaces = 16;

    private readonly Backbone backbone;
    private readonly Func<BackboneSession> openSession;
    private readonly Func<FaceStageSession>? openFaces;

    /// <summary>Creates an extractor.</summary>
    /// <param name="backbone">The backbone whose features the cache holds.</param>
    /// <param name="openSession">Opens the inference session; called only when something has to be computed.</param>
    /// <param name="openFaces">Opens the face stage's detector session when the options' stage detects; called only when something has to be computed.</param>
    public Extractor(Backbone backbone, Func<BackboneSession> openSession, Func<FaceStageSession>? openFaces = null)
    {
        this.backbone = backbone;
        this.openSession = openSession;
        this.openFaces = openFaces;
    }

    /// <summary>
    /// Runs the extraction on the shard of the cache that <see cref="FeatureCacheShardWriter"/> opens (its lock held
    /// throughout; with <see cref="ExtractionOptions.Rebuild"/> the old parts stay the cache until the new set is
    /// complete). A cancelled run commits the rows computed so far as a part (a rebuild drops them: its old parts stay)
    /// and then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="FacePipelineException">The cache was made by another backbone (and no rebuild was asked), a part cannot be read or fails its checksum, or another process writes this shard.</exception>
    public async Task<ExtractionSummary> RunAsync(ExtractionOptions options, IProgress<ExtractionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var identity = new FeatureIdentity(backbone.Identity, options.FaceStage);
        if (options.FaceStage.Detects && openFaces is null)
        {
            throw new ArgumentException("a detecting face stage needs a detector session opener", nameof(options));
        }

        var clock = Stopwatch.StartNew();
        await using FeatureCacheShardWriter cache = await FeatureCacheShardWriter.OpenAsync(options.CacheFolder, options.Shard, identity, options.Rebuild, cancellationToken);
        ExtractionSummary summary = await ReconcileAndComputeAsync(options, cache, clock, progress, cancellationToken);
        await cache.CompleteAsync(summary.Failures.Select(f => (f.Path, f.Reason)), cancellationToken);
        return summary;
    }

    private async Task<ExtractionSummary> ReconcileAndComputeAsync(
        ExtractionOptions options,
        FeatureCacheShardWriter cache,
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
        foreach (FeatureCachePart part in cache.OwnParts)
        {
            (int partRemoved, int partChanged, int partKept) = await ReconcilePartAsync(cache, part, wanted, alreadyCached, cancellationToken);
            removed += partRemoved;
            changed += partChanged;
            cached += partKept;
        }

        cached += await AdoptOtherLayoutRowsAsync(cache.OtherLayoutParts, wanted, alreadyCached, cancellationToken);

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
            computed = await ComputeAsync(new ImageFeaturizer(session, faces, options.FaceStage), cache, toCompute, options.BatchSize, failures, progress, cancellationToken);
        }

        failures.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new ExtractionSummary(computed, changed, cached, removed, failures, device, computeClock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds);
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
        Dictionary<string, HashedImage> wanted,
        HashSet<string> alreadyCached,
        CancellationToken cancellationToken)
    {
        int adopted = 0;
        foreach (FeatureCachePart part in parts)
        {
            await foreach (FeatureRow row in FeatureCacheReader.ReadPartRowsAsync(part, includeFeatures: false, cancellationToken))
            {
                if (!wanted.TryGetValue(row.Path, out HashedImage? entry) || alreadyCached.Contains(row.Path))
                {
                    continue;
                }

                if (entry.Sha256 != row.Sha256)
                {
                    throw new FacePipelineException(
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
    private static async Task<(int Removed, int Changed, int Kept)> ReconcilePartAsync(
        FeatureCacheShardWriter cache,
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
            await cache.RewritePartAsync(part, keep.ToDictionary(path => path, path => wanted[path].Image, StringComparer.Ordinal), cancellationToken);
        }

        alreadyCached.UnionWith(keep);
        return (removed, changed, keep.Count);
    }

    private static async Task<int> ComputeAsync(
        ImageFeaturizer featurizer,
        FeatureCacheShardWriter cache,
        List<HashedImage> work,
        int batchSize,
        List<ImageFailure> failures,
        IProgress<ExtractionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
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
                    await cache.AddAsync(new FeatureRow(result.Image.Path, result.Image.Label!, result.Image.Split, result.Sha256, result.Features, result.Face), cancellationToken);
                    computed++;
                }

                if (done % batchSize == 0 || done == work.Count)
                {
                    progress?.Report(new ExtractionProgress(done, work.Count, failures.Count, clock.Elapsed.TotalSeconds));
                }
            }

            await cache.CommitPartAsync(cancellationToken);
            WriteSheet(cache, featurizer.Identity, crops, noFaces);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (SIGTERM, Ctrl-C): the rows computed so far are kept as a part, so a re-run computes only the rest.
            await cache.CommitPartAsync(CancellationToken.None);
            throw;
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

    private static void WriteSheet(FeatureCacheShardWriter cache, FeatureIdentity identity, List<ContactSheetTile> crops, List<ContactSheetTile> noFaces)
    {
        if (crops.Count + noFaces.Count == 0)
        {
            return;
        }

        string title = $"{identity.Backbone.Name}, faces {identity.FaceStage.Short}: first {crops.Count} inputs as the backbone sees them"
            + (noFaces.Count > 0 ? $", then {noFaces.Count} image(s) without a face" : string.Empty);
        byte[] png = ContactSheet.RenderPng(title, [.. crops, .. noFaces]);
        cache.WriteFacesSheet(png);
    }
}
