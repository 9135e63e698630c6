using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Imaging;

namespace FacePipeline.Extraction;

/// <summary>
/// Turns <c>--faces auto|detect|none</c> into one concrete <see cref="FaceStage"/> per data set. <c>auto</c> keeps
/// the stage a cache already records. On a new cache, a backbone without a face template (an ImageNet network) gets
/// whole images: aligning faces onto a generic geometry never helped one measurably and hurt it on framed faces
/// (below). For a face-trained backbone it runs the detector over a deterministic sample of the
/// WHOLE input (the same sample in every shard, so all shards decide alike) and detects when a face is found in at
/// least <see cref="MinFoundFraction"/> of it. A set where the detector misses more often (pre-cropped faces under
/// harsh light) stays on whole images: mixing aligned crops with whole images in one cache costs more than a stage.
/// </summary>
/// <remarks>
/// resnet18 test accuracy (TrainHead defaults), whole images → detected and aligned (blazeface-front, generic
/// geometry), scripts/bench.sh faces section, 2026-12-03: ORL-7/3 (faces fill 60 % of the frame) 0.992 → 0.908; ORL as
/// uncropped side-lit portraits (face box 24 % of a 320×243 frame) 0.975 → 0.950; lfw-dev news photos (17 %) 0.300 →
/// 0.298. The earlier rule (detect when the median face box is at most 35 % of the frame) chose the stage that lost
/// on the portraits.
/// </remarks>
public static class FaceStagePolicy
{
    /// <summary>Images sampled by <c>auto</c> (fewer when the input is smaller).</summary>
    public const int SampleSize = 200;

    /// <summary>Fraction of the sample in which a face must be found for <c>auto</c> to detect.</summary>
    public const double MinFoundFraction = 0.9;

    /// <summary>Chooses the stage, flip test-time augmentation included.</summary>
    /// <param name="mode">What was asked.</param>
    /// <param name="flip">The flip asked for: <see cref="FlipTtaMode.Auto"/> keeps the cache's (off when it has none or is rebuilt).</param>
    /// <param name="detectorName">The detector to use (<c>--detector</c>).</param>
    /// <param name="backbone">The backbone (its face template is the alignment geometry).</param>
    /// <param name="images">The whole input (not only this shard).</param>
    /// <param name="cacheFolder">The cache, whose recorded stage <c>auto</c> keeps.</param>
    /// <param name="rebuild">Whether the cache is being rebuilt (then its recorded stage does not count).</param>
    /// <param name="catalog">Where detectors are found.</param>
    /// <param name="device">Where the sample's detection runs.</param>
    /// <param name="cancellationToken">Stops the sample.</param>
    /// <exception cref="FacePipelineException">The detector cannot be found or loaded.</exception>
    public static async Task<FaceStageChoice> ChooseAsync(
        FaceStageMode mode,
        FlipTtaMode flip,
        string detectorName,
        Backbone backbone,
        IReadOnlyList<LabelledImage> images,
        string cacheFolder,
        bool rebuild,
        FaceDetectorCatalog catalog,
        DeviceSpec device,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(images);
        FaceStage? recorded = null;
        if ((mode == FaceStageMode.Auto || flip == FlipTtaMode.Auto) && !rebuild)
        {
            List<FeatureCachePart> parts = await FeatureCacheReader.ListPartsAsync(cacheFolder, null, cancellationToken);
            recorded = parts.Count > 0 ? parts[0].Identity.FaceStage : null;
        }

        FaceStageChoice choice = ChooseStage(mode, detectorName, backbone, images, recorded, catalog, device, cancellationToken);
        bool on = flip == FlipTtaMode.On || (flip == FlipTtaMode.Auto && recorded?.FlipTta == true);
        string? note = flip == FlipTtaMode.Auto && on
            ? string.Join("; ", new[] { choice.Note, "flip-tta: auto keeps the cache's flip test-time augmentation (on); --flip-tta off --rebuild to drop it" }.OfType<string>())
            : choice.Note;
        return choice with { Stage = choice.Stage.WithFlip(on), Note = note };
    }

    /// <summary>The sample: up to <see cref="SampleSize"/> images ordered by the SHA-256 of their relative path.</summary>
    public static IReadOnlyList<LabelledImage> SampleOf(IReadOnlyList<LabelledImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images
            .Select(image => (image, key: ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(image.Path))))
            .OrderBy(x => x.key, StringComparer.Ordinal)
            .Take(SampleSize)
            .Select(x => x.image)
            .ToList();
    }

    /// <summary>The stage without flip: <paramref name="recorded"/> (the cache's, null for none or a rebuild) kept under auto.</summary>
    private static FaceStageChoice ChooseStage(
        FaceStageMode mode, string detectorName, Backbone backbone, IReadOnlyList<LabelledImage> images, FaceStage? recorded, FaceDetectorCatalog catalog, DeviceSpec device, CancellationToken cancellationToken)
    {
        if (mode == FaceStageMode.None)
        {
            return new FaceStageChoice(FaceStage.None, null, null);
        }

        if (mode == FaceStageMode.Auto && recorded is not null)
        {
            // The recorded stage as a whole, minimum face size and orientation included: a cache made before those
            // existed keeps growing the way it was made, never mixing two kinds of features; --rebuild renews it.
            return recorded.DetectorName is null
                ? new FaceStageChoice(recorded, null, $"faces: auto keeps the cache's face stage {recorded.Short} (whole images); "
                    + (recorded.AutoOrient ? "--faces detect --rebuild to change it" : "--rebuild to recompute it with EXIF orientation"))
                : Recorded(recorded, catalog.Resolve(recorded.DetectorName), backbone);
        }

        FaceDetector detector = catalog.Resolve(detectorName);
        if (mode == FaceStageMode.Detect)
        {
            return Detecting(detector, backbone, null);
        }

        if (backbone.Description.FaceTemplate is null)
        {
            return new FaceStageChoice(FaceStage.None, null, $"faces: auto → whole images for {backbone.Identity.Name}, an ImageNet backbone without a face template; --faces detect to align faces anyway");
        }

        (int sampled, int found) = Sample(images, FaceStage.Detect(detector, backbone), detector, backbone, device, cancellationToken);
        bool detect = sampled > 0 && found >= MinFoundFraction * sampled;
        string note = string.Create(CultureInfo.InvariantCulture,
            $"faces: auto found a face in {found} of {sampled} sampled images ({(sampled == 0 ? 0 : 100.0 * found / sampled):0.#} %, detector {detector.Name}; "
            + $"detect needs >= {MinFoundFraction * 100:0} % for {backbone.Identity.Name}, a face-trained backbone) → ")
            + (detect ? "detect and align; --faces none to use whole images" : "whole images; --faces detect to align faces anyway");
        return detect ? Detecting(detector, backbone, note) : new FaceStageChoice(FaceStage.None, null, note);
    }

    private static FaceStageChoice Detecting(FaceDetector detector, Backbone backbone, string? note) =>
        new(FaceStage.Detect(detector, backbone), detector, note);

    private static FaceStageChoice Recorded(FaceStage recorded, FaceDetector detector, Backbone backbone)
    {
        FaceStage stage = FaceStage.Detect(detector, backbone).As(recorded);
        string renew = stage.AutoOrient ? "--faces none --rebuild to change it" : "--faces detect --rebuild to recompute it with EXIF orientation and the minimum face size";
        return new(stage, detector, $"faces: auto keeps the cache's face stage {recorded.Short}; {renew}");
    }

    /// <summary>
    /// Runs the detector over the sample: images sampled and images with a face. Unreadable images count as neither.
    /// </summary>
    private static (int Sampled, int Found) Sample(
        IReadOnlyList<LabelledImage> images, FaceStage stage, FaceDetector detector, Backbone backbone, DeviceSpec device, CancellationToken cancellationToken)
    {
        IReadOnlyList<LabelledImage> sample = SampleOf(images);
        using FaceStageSession session = FaceStageSession.Open(stage, detector, backbone, device, out _);
        var decoder = new ImageDecoder(stage.AutoOrient);
        int sampled = 0;
        int found = 0;
        Parallel.ForEach(sample, new ParallelOptions { CancellationToken = cancellationToken }, image =>
        {
            try
            {
                using SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> decoded = decoder.Decode(File.ReadAllBytes(image.FullPath));
                IReadOnlyList<DetectedFace> faces = session.Detect(decoded);
                Interlocked.Increment(ref sampled);
                if (FaceSelection.Largest(faces, decoded.Width, decoded.Height) is not null)
                {
                    Interlocked.Increment(ref found);
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or ImageDecodeException)
            {
                // Extract reports unreadable images itself; they say nothing about faces.
            }
        });
        return (sampled, found);
    }
}
