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

    private FaceStage(bool detects, string? detectorName, string? detectorSha256, string geometry, float minScore)
    {
        Detects = detects;
        DetectorName = detectorName;
        DetectorSha256 = detectorSha256;
        Geometry = geometry;
        MinScore = minScore;
    }

    /// <summary>Whole images, resized to the backbone's input (the path before the face stage existed).</summary>
    public static FaceStage None { get; } = new(false, null, null, FaceGeometry.GenericName, 0);

    /// <summary>Whether faces are detected and aligned.</summary>
    public bool Detects { get; }

    /// <summary>The detector's name, or null for <see cref="None"/>.</summary>
    public string? DetectorName { get; }

    /// <summary>Lower-case hex SHA-256 of the detector's model file, or null for <see cref="None"/>.</summary>
    public string? DetectorSha256 { get; }

    /// <summary>The geometry faces are aligned onto (<see cref="FaceGeometry.KnownNames"/>).</summary>
    public string Geometry { get; }

    /// <summary>The detector score below which a candidate is no face.</summary>
    public float MinScore { get; }

    /// <summary>
    /// The canonical identity: <c>none</c>, or
    /// <c>detect:blazeface-front:sha256=HEX:template=arcface-112:pick=largest:min-score=0.5</c>.
    /// </summary>
    public string Identity => Detects
        ? string.Create(CultureInfo.InvariantCulture, $"detect:{DetectorName}:sha256={DetectorSha256}:template={Geometry}:pick={PickLargest}:min-score={MinScore:0.###}")
        : NoneIdentity;

    /// <summary>A short form for people: <c>none</c> or <c>detect (blazeface-front, arcface-112)</c>.</summary>
    public string Short => Detects ? $"detect ({DetectorName}, {Geometry})" : NoneIdentity;

    /// <summary>The stage that detects with <paramref name="detector"/> and aligns onto <paramref name="backbone"/>'s template (generic when it names none).</summary>
    public static FaceStage Detect(FaceDetector detector, Backbone backbone)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(backbone);
        return new FaceStage(true, detector.Name, detector.ModelSha256, backbone.Description.FaceTemplate ?? FaceGeometry.GenericName, detector.Description.ScoreThreshold);
    }

    /// <summary>The short form of an identity string (as stored in a cache or head).</summary>
    public static string ShortOf(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity == NoneIdentity)
        {
            return NoneIdentity;
        }

        string[] parts = identity.Split(':');
        string? template = parts.FirstOrDefault(p => p.StartsWith("template=", StringComparison.Ordinal))?["template=".Length..];
        return parts.Length > 1 ? $"detect ({parts[1]}{(template is null ? string.Empty : ", " + template)})" : identity;
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
