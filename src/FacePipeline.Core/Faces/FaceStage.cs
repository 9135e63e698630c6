using System.Globalization;
using FacePipeline.Backbones;

namespace FacePipeline.Faces;

/// <summary>
/// What happens between the decoded image and the backbone: nothing (<see cref="None"/>, the whole image is resized)
/// or detect → pick → align. It is part of the feature cache's identity (<see cref="BackboneIdentity.FaceStage"/>):
/// features made under two different stages never mix, and a head refuses features of another stage.
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

    private const string MinFaceKey = "min-face=";
    private const string OrientExif = "orient=exif";

    private FaceStage(bool detects, string? detectorName, string? detectorSha256, string geometry, float minScore, int minFacePx, bool autoOrient)
    {
        Detects = detects;
        DetectorName = detectorName;
        DetectorSha256 = detectorSha256;
        Geometry = geometry;
        MinScore = minScore;
        MinFacePx = minFacePx;
        AutoOrient = autoOrient;
    }

    /// <summary>Whole images, resized to the backbone's input (the path before the face stage existed), EXIF orientation applied.</summary>
    public static FaceStage None { get; } = new(false, null, null, FaceGeometry.GenericName, 0, 0, true);

    /// <summary>Whether faces are detected and aligned.</summary>
    public bool Detects { get; }

    /// <summary>The detector's name, or null for <see cref="None"/>.</summary>
    public string? DetectorName { get; }

    /// <summary>Lower-case hex SHA-256 of the detector's model file, or null for <see cref="None"/>.</summary>
    public string? DetectorSha256 { get; }

    /// <summary>The geometry faces are aligned onto (<see cref="FaceGeometry.KnownNames"/>).</summary>
    public string Geometry { get; }

    /// <summary>The detector score below which a candidate is no face (the detector's own threshold, applied by its decoder).</summary>
    public float MinScore { get; }

    /// <summary>Faces whose box is narrower or lower than this many pixels of the displayed image are no face (0 for stages recorded before the setting existed).</summary>
    public int MinFacePx { get; }

    /// <summary>
    /// Whether images are turned as their EXIF orientation says before anything else (false only for stages recorded
    /// before orientation was applied: their features came from the stored, possibly sideways, pixels).
    /// </summary>
    public bool AutoOrient { get; }

    /// <summary>
    /// The canonical identity: <c>none:orient=exif</c>, or
    /// <c>detect:blazeface-front:sha256=HEX:template=arcface-112:pick=largest:min-score=0.5:min-face=20:orient=exif</c>.
    /// Stages recorded before the minimum face size and the orientation existed read as <c>none</c> and
    /// <c>…:min-score=0.5</c> (minimum 0, stored orientation) and keep exactly those strings.
    /// </summary>
    public string Identity
    {
        get
        {
            string settings = (MinFacePx > 0 ? ":" + MinFaceKey + MinFacePx.ToString(CultureInfo.InvariantCulture) : string.Empty) + (AutoOrient ? ":" + OrientExif : string.Empty);
            return Detects
                ? string.Create(CultureInfo.InvariantCulture, $"detect:{DetectorName}:sha256={DetectorSha256}:template={Geometry}:pick={PickLargest}:min-score={MinScore:0.###}{settings}")
                : NoneIdentity + settings;
        }
    }

    /// <summary>
    /// A short form for people: <c>none</c> or <c>detect (blazeface-front, arcface-112)</c>; a stage recorded before the
    /// minimum face size and orientation says so: <c>none (stored orientation)</c>,
    /// <c>detect (blazeface-front, arcface-112, stored orientation, no min-face)</c>.
    /// </summary>
    public string Short => ShortOf(Identity);

    /// <summary>The stage that detects with <paramref name="detector"/> and aligns onto <paramref name="backbone"/>'s template (generic when it names none).</summary>
    public static FaceStage Detect(FaceDetector detector, Backbone backbone)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(backbone);
        return new FaceStage(true, detector.Name, detector.ModelSha256, backbone.Description.FaceTemplate ?? FaceGeometry.GenericName, detector.Description.ScoreThreshold, DefaultMinFacePx, true);
    }

    /// <summary>
    /// The stage <paramref name="identity"/> records, rebuilt from <paramref name="detector"/> and <paramref name="backbone"/>
    /// (ignored for a whole-image identity) with the recorded minimum face size and orientation, so features are made
    /// again the way the cache or head holds them. The caller compares <see cref="Identity"/> with the recorded string to
    /// notice another detector model, template or score.
    /// </summary>
    /// <exception cref="ArgumentException">The identity detects but <paramref name="detector"/> is null.</exception>
    public static FaceStage Recorded(string identity, FaceDetector? detector, Backbone backbone)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string[] parts = identity.Split(':');
        bool autoOrient = parts.Contains(OrientExif, StringComparer.Ordinal);
        string? minFace = parts.FirstOrDefault(p => p.StartsWith(MinFaceKey, StringComparison.Ordinal))?[MinFaceKey.Length..];
        int minFacePx = minFace is not null && int.TryParse(minFace, NumberStyles.None, CultureInfo.InvariantCulture, out int px) ? px : 0;
        if (IsNone(identity))
        {
            return new FaceStage(false, null, null, FaceGeometry.GenericName, 0, 0, autoOrient);
        }

        ArgumentNullException.ThrowIfNull(detector);
        FaceStage current = Detect(detector, backbone);
        return new FaceStage(true, current.DetectorName, current.DetectorSha256, current.Geometry, current.MinScore, minFacePx, autoOrient);
    }

    /// <summary>Whether <paramref name="identity"/> is a whole-image stage (<c>none</c>, with or without settings).</summary>
    public static bool IsNone(string identity) => DetectorNameOf(identity) is null;

    /// <summary>The short form of an identity string (as stored in a cache or head).</summary>
    public static string ShortOf(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string[] parts = identity.Split(':');
        bool old = !parts.Contains(OrientExif, StringComparer.Ordinal);
        if (IsNone(identity))
        {
            return parts[0] == NoneIdentity ? NoneIdentity + (old ? " (stored orientation)" : string.Empty) : identity;
        }

        string? template = parts.FirstOrDefault(p => p.StartsWith("template=", StringComparison.Ordinal))?["template=".Length..];
        return $"detect ({parts[1]}{(template is null ? string.Empty : ", " + template)}{(old ? ", stored orientation, no min-face" : string.Empty)})";
    }

    /// <summary>The detector name of an identity string, or null for <c>none</c>.</summary>
    public static string? DetectorNameOf(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string[] parts = identity.Split(':');
        return parts.Length > 1 && parts[0] == "detect" ? parts[1] : null;
    }

    /// <inheritdoc />
    public override string ToString() => Identity;
}
