using System.Globalization;

namespace FacePipeline.Backbones;

/// <summary>
/// What makes features comparable: the backbone's name, the SHA-256 of its model file, its preprocessing, input size,
/// feature shape and feature normalisation. Recorded in every cache part and every head; features from two different identities never mix.
/// </summary>
/// <param name="Name">Backbone name from its description.</param>
/// <param name="ModelSha256">Lower-case hex SHA-256 of the ONNX file as shipped (before any batch-dimension rewrite).</param>
/// <param name="Preprocessing">Output of <see cref="Imaging.Preprocessing.Describe"/>.</param>
/// <param name="InputSize">Input size as <c>WIDTHxHEIGHT</c>.</param>
/// <param name="FeatureShape">Per-image feature shape as stored, e.g. <c>[512,1,1]</c> or <c>[7,7,512]</c>.</param>
/// <param name="Normalize">Feature normalisation after pooling: <c>none</c> or <c>l2</c> (caches and heads written
/// before the field existed read as <c>none</c>, which is what they hold).</param>
/// <param name="FaceStage">Identity of the face stage the features were made under (<see cref="Faces.FaceStage.Identity"/>):
/// <c>none</c> for whole images (a backbone itself, and caches and heads written before the face stage existed), else
/// the detector, its model's SHA-256, the alignment geometry, the pick rule and the score threshold.</param>
/// <param name="FlipTta">Flip test-time augmentation: <c>on</c> when each feature vector is the mean of the backbone's
/// features of the input and of its horizontal mirror (<c>Extraction.FlipAugmentation</c>), <c>off</c> otherwise
/// (caches and heads written before the field existed read as <c>off</c>, which is what they hold).</param>
public sealed record BackboneIdentity(
    string Name,
    string ModelSha256,
    string Preprocessing,
    string InputSize,
    IReadOnlyList<int> FeatureShape,
    string Normalize = BackboneIdentity.NoNormalization,
    string FaceStage = Faces.FaceStage.NoneIdentity,
    string FlipTta = BackboneIdentity.FlipTtaOff)
{
    /// <summary>The <see cref="FlipTta"/> value of features of the input alone.</summary>
    public const string FlipTtaOff = "off";

    /// <summary>The <see cref="FlipTta"/> value of features averaged with those of the mirrored input.</summary>
    public const string FlipTtaOn = "on";

    /// <summary>The <see cref="Normalize"/> value of raw network outputs.</summary>
    public const string NoNormalization = "none";

    /// <summary>Number of floats per feature vector.</summary>
    public int FeatureLength => FeatureShape.Aggregate(1, (product, dim) => product * dim);

    /// <summary>Feature shape written as <c>512x1x1</c>.</summary>
    public string FeatureShapeText => string.Join('x', FeatureShape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Whether features made under <paramref name="other"/> are interchangeable with features made under this identity.</summary>
    public bool Matches(BackboneIdentity other) =>
        Name == other.Name && ModelSha256 == other.ModelSha256 && Preprocessing == other.Preprocessing
        && InputSize == other.InputSize && FeatureShape.SequenceEqual(other.FeatureShape) && Normalize == other.Normalize
        && FaceStage == other.FaceStage && FlipTta == other.FlipTta;

    /// <summary>Whether this identity and <paramref name="other"/> differ only in their face stage (the case that deserves its own message).</summary>
    public bool DiffersOnlyInFaceStage(BackboneIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return FaceStage != other.FaceStage && Matches(other with { FaceStage = FaceStage });
    }

    /// <summary>Whether this identity and <paramref name="other"/> differ only in <see cref="FlipTta"/>.</summary>
    public bool DiffersOnlyInFlipTta(BackboneIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return FlipTta != other.FlipTta && Matches(other with { FlipTta = FlipTta });
    }

    /// <summary>
    /// A short human form: <c>resnet18 (sha256 1a2b3c4d5e6f…, 512x1x1)</c>, with <c>, l2</c> for normalised features
    /// and <c>, faces detect (blazeface-front, generic)</c> under a face stage, <c>, flip-tta</c> with flip test-time augmentation.
    /// </summary>
    public override string ToString() =>
        $"{Name} (sha256 {ModelSha256[..Math.Min(12, ModelSha256.Length)]}…, {FeatureShapeText}{(Normalize == NoNormalization ? string.Empty : ", " + Normalize)}"
        + $"{(FaceStage == Faces.FaceStage.NoneIdentity ? string.Empty : ", faces " + Faces.FaceStage.ShortOf(FaceStage))}{(FlipTta == FlipTtaOff ? string.Empty : ", flip-tta")})";
}
