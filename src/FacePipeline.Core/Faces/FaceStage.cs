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

    private const string DetectWord = "detect";

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
    ];

    private FaceStage(bool detects, string? detectorName)
    {
        Detects = detects;
        DetectorName = detectorName;
    }

    /// <summary>Whole images, resized to the backbone's input (the path before the face stage existed).</summary>
    public static FaceStage None { get; } = new(false, null);

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

    /// <summary>
    /// The canonical identity, as caches and heads record it: <c>none</c>, or
    /// <c>detect:blazeface-front:sha256=HEX:template=arcface-112:pick=largest:min-score=0.5</c>.
    /// </summary>
    public string Identity => string.Join(':', [
        Detects ? $"{DetectWord}:{DetectorName}" : NoneIdentity,
        .. Settings.Where(s => Detects || s.OnWholeImages).Select(s => s.Format(this) is string value ? $"{s.Key}={value}" : null).OfType<string>()]);

    /// <summary>A short form for people: <c>none</c> or <c>detect (blazeface-front, arcface-112)</c>.</summary>
    public string Short => Detects ? $"{DetectWord} ({DetectorName}, {Geometry})" : NoneIdentity;

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
        };
    }

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
