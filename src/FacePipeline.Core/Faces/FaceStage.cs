using System.Globalization;
using FacePipeline.Backbones;

namespace FacePipeline.Faces;

/// <summary>
/// What happens between the decoded image and the backbone: nothing (<see cref="None"/>, the whole image is resized)
/// or detect → pick → align. It is half of the features' identity (<see cref="Features.FeatureIdentity"/>): features
/// made under two different stages never mix, and a head refuses features of another stage. Two stages are equal when
/// their canonical <see cref="Identity"/> strings are, which is what caches and heads record.
/// </summary>
public sealed record FaceStage
{
    /// <summary>Identity string of the stage that feeds whole images to the backbone.</summary>
    public const string NoneIdentity = "none";

    /// <summary>The face selection rule: the largest visible box (<see cref="FaceSelection.Largest"/>).</summary>
    public const string PickLargest = "largest";

    /// <summary>
    /// Smallest face kept, in pixels of the displayed image (the shorter side of the detector's box). In pixels of the
    /// image, not relative to it: what a face holds for the backbone is its own pixel count (a 112-pixel aligned crop
    /// from a 7-pixel box is a 16-fold enlargement of nothing), and BlazeFace enlarges small images to its input, so its
    /// false faces in noise are small in the image's pixels but fill most of it (18.8 px in a 20×20 noise image).
    /// Measured 2026-12-03 with the three bundled detectors (README, "Minimum face size"): the smallest face picked in
    /// lfw-dev is 39.3 px, in data/orl-faces 23.5 px (a real face looking up); faces found in random noise were at most
    /// 18.8 px. The threshold lies between the two.
    /// </summary>
    public const int DefaultMinFacePx = 20;

    private const string DetectWord = "detect";
    private const string Exif = "exif";
    private const string On = "on";

    /// <summary>
    /// The settings after <c>detect:NAME</c> (or after <c>none</c>, for those that apply to whole images), in identity
    /// order, each <c>key=value</c>, joined by <c>:</c>. Adding a setting is one line here plus its property: a recorded
    /// identity without the key (written before the setting existed) reads as the property's initial value, and a
    /// setting whose Format gives null at that value is not written, so identities recorded before it keep their string.
    /// </summary>
    private static readonly Setting[] Settings =
    [
        new("sha256", s => s.DetectorSha256 ?? string.Empty, (s, v) => s with { DetectorSha256 = v }),
        new("template", s => s.Geometry, (s, v) => s with { Geometry = v }),
        new("pick", _ => PickLargest, (s, v) => v == PickLargest ? s : null),
        new("min-score", s => s.MinScore.ToString("0.###", CultureInfo.InvariantCulture), (s, v) => ParseFloat(v) is float f ? s with { MinScore = f } : null),
        new("min-face", s => s.MinFacePx > 0 ? s.MinFacePx.ToString(CultureInfo.InvariantCulture) : null, (s, v) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int px) ? s with { MinFacePx = px } : null),
        new("orient", s => s.AutoOrient ? Exif : null, (s, v) => v == Exif ? s with { AutoOrient = true } : null, OnWholeImages: true),
        new("flip", s => s.FlipTta ? On : null, (s, v) => v == On ? s with { FlipTta = true } : null, OnWholeImages: true),
    ];

    private FaceStage(bool detects, string? detectorName)
    {
        Detects = detects;
        DetectorName = detectorName;
    }

    /// <summary>Whole images, resized to the backbone's input (the path before the face stage existed).</summary>
    public static FaceStage None { get; } = new FaceStage(false, null) with { AutoOrient = true };

    /// <summary>Whether faces are detected and aligned.</summary>
    public bool Detects { get; }

    /// <summary>The detector's name, or null for <see cref="None"/>.</summary>
    public string? DetectorName { get; }

    /// <summary>Lower-case hex SHA-256 of the detector's model file, or null for <see cref="None"/>.</summary>
    public string? DetectorSha256 { get; private init; }

    /// <summary>The geometry faces are aligned onto (<see cref="FaceGeometry.KnownNames"/>).</summary>
    public string Geometry { get; private init; } = FaceGeometry.GenericName;

    /// <summary>The detector score below which a candidate is no face.</summary>
    public float MinScore { get; private init; }

    /// <summary>Faces whose box is narrower or lower than this many pixels of the displayed image are no face (0 for stages recorded before the setting existed).</summary>
    public int MinFacePx { get; private init; }

    /// <summary>
    /// Whether images are turned as their EXIF orientation says before anything else (false only for stages recorded
    /// before orientation was applied: their features came from the stored, possibly sideways, pixels).
    /// </summary>
    public bool AutoOrient { get; private init; }

    /// <summary>
    /// Flip test-time augmentation: each face's (or whole image's) features are the mean of its own and its horizontal
    /// mirror's (<see cref="Extraction.FlipAugmentation"/>). Off for everything recorded before the setting existed.
    /// </summary>
    public bool FlipTta { get; private init; }

    /// <summary>
    /// The canonical identity, as caches and heads record it: <c>none:orient=exif</c>, or
    /// <c>detect:blazeface-front:sha256=HEX:template=arcface-112:pick=largest:min-score=0.5:min-face=20:orient=exif</c>.
    /// Stages recorded before the minimum face size and the orientation existed read as <c>none</c> and
    /// <c>…:min-score=0.5</c> (minimum 0, stored orientation) and keep exactly those strings.
    /// </summary>
    public string Identity => string.Join(':', [
        Detects ? $"{DetectWord}:{DetectorName}" : NoneIdentity,
        .. Settings.Where(s => Detects || s.OnWholeImages).Select(s => s.Format(this) is string value ? $"{s.Key}={value}" : null).OfType<string>()]);

    /// <summary>
    /// A short form for people: <c>none</c> or <c>detect (blazeface-front, arcface-112)</c>; a stage recorded before the
    /// minimum face size and orientation says so: <c>none (stored orientation)</c>,
    /// <c>detect (blazeface-front, arcface-112, stored orientation, no min-face)</c>.
    /// </summary>
    public string Short => Detects
        ? $"{DetectWord} ({DetectorName}, {Geometry}{(AutoOrient ? string.Empty : ", stored orientation, no min-face")}{(FlipTta ? ", flip" : string.Empty)})"
        : NoneIdentity + (AutoOrient ? string.Empty : " (stored orientation)") + (FlipTta ? " (flip)" : string.Empty);

    /// <summary>The stage that detects with <paramref name="detector"/> and aligns onto <paramref name="backbone"/>'s template (generic when it names none).</summary>
    public static FaceStage Detect(FaceDetector detector, Backbone backbone)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(backbone);
        return Detecting(detector.Name) with
        {
            DetectorSha256 = detector.ModelSha256,
            Geometry = backbone.Description.FaceTemplate ?? FaceGeometry.GenericName,
            MinScore = detector.Description.ScoreThreshold,
            MinFacePx = DefaultMinFacePx,
            AutoOrient = true,
        };
    }

    /// <summary>
    /// <paramref name="recorded"/>'s minimum face size, orientation and flip on this stage: how a stage made from today's
    /// detector and backbone (<see cref="Detect"/>) makes features the way a cache or head recorded before those
    /// settings existed holds them. The caller compares the result with <paramref name="recorded"/> to notice another
    /// detector model, template or score.
    /// </summary>
    public FaceStage As(FaceStage recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return this with { MinFacePx = recorded.MinFacePx, AutoOrient = recorded.AutoOrient, FlipTta = recorded.FlipTta };
    }

    /// <summary>This stage with flip test-time augmentation on or off (<see cref="FlipTta"/>).</summary>
    public FaceStage WithFlip(bool on) => this with { FlipTta = on };

    /// <summary>
    /// Reads a recorded <see cref="Identity"/> back (a cache part's metadata or a head's <c>head.json</c>); the only
    /// place that parses one.
    /// </summary>
    /// <param name="identity">The recorded string.</param>
    /// <param name="source">The file it comes from, for the message.</param>
    /// <exception cref="FacePipelineException">The string is no face stage this version knows.</exception>
    public static FaceStage Parse(string identity, string source)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string[] parts = identity.Split(':');
        (FaceStage? stage, int settingsFrom) = parts[0] == NoneIdentity ? (new FaceStage(false, null), 1)
            : parts.Length >= 2 && parts[0] == DetectWord && parts[1].Length > 0 ? (Detecting(parts[1]), 2)
            : (null, 0);
        foreach (string part in parts.Skip(settingsFrom))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            Setting? setting = equals > 0 ? Settings.FirstOrDefault(s => s.Key == part[..equals] && (stage?.Detects == true || s.OnWholeImages)) : null;
            stage = stage is null || setting is null ? null : setting.Read(stage, part[(equals + 1)..]);
        }

        return stage ?? throw new FacePipelineException(
            $"{source}: face stage '{identity}' is not one this version of FacePipeline reads (written by a newer one?); re-run Extract with --rebuild, or use the version that wrote it");
    }

    /// <summary>Equal when the canonical identities are (the float score compares as recorded, to three decimals).</summary>
    public bool Equals(FaceStage? other) => other is not null && Identity == other.Identity;

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Identity);

    /// <inheritdoc />
    public override string ToString() => Identity;

    private static FaceStage Detecting(string detectorName) => new(true, detectorName);

    private static float? ParseFloat(string text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) ? value : null;

    /// <summary>
    /// One <c>key=value</c> setting: how it is written (null: not written, the value of identities recorded before it),
    /// how it is read back (null: invalid), and whether whole-image stages carry it too.
    /// </summary>
    private sealed record Setting(string Key, Func<FaceStage, string?> Format, Func<FaceStage, string, FaceStage?> Read, bool OnWholeImages = false);
}
