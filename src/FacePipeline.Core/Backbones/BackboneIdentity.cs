using System.Globalization;

namespace FacePipeline.Backbones;

/// <summary>
/// What makes a backbone's outputs comparable: its name, the SHA-256 of its model file, its preprocessing, input size,
/// feature shape and feature normalisation. With the face stage it forms the features' identity
/// (<see cref="Features.FeatureIdentity"/>), recorded in every cache part and every head.
/// </summary>
/// <param name="Name">Backbone name from its description.</param>
/// <param name="ModelSha256">Lower-case hex SHA-256 of the ONNX file as shipped (before any batch-dimension rewrite).</param>
/// <param name="Preprocessing">Output of <see cref="Imaging.Preprocessing.Describe"/>.</param>
/// <param name="InputSize">Input size as <c>WIDTHxHEIGHT</c>.</param>
/// <param name="FeatureShape">Per-image feature shape as stored, e.g. <c>[512,1,1]</c> or <c>[7,7,512]</c>.</param>
/// <param name="Normalize">Feature normalisation after pooling: <c>none</c> or <c>l2</c> (caches and heads written
/// before the field existed read as <c>none</c>, which is what they hold).</param>
public sealed record BackboneIdentity(
    string Name,
    string ModelSha256,
    string Preprocessing,
    string InputSize,
    IReadOnlyList<int> FeatureShape,
    string Normalize = BackboneIdentity.NoNormalization)
{
    /// <summary>The <see cref="Normalize"/> value of raw network outputs.</summary>
    public const string NoNormalization = "none";

    /// <summary>Number of floats per feature vector.</summary>
    public int FeatureLength => FeatureShape.Aggregate(1, (product, dim) => product * dim);

    /// <summary>Feature shape written as <c>512x1x1</c>.</summary>
    public string FeatureShapeText => string.Join('x', FeatureShape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Whether outputs of <paramref name="other"/> are interchangeable with outputs of this backbone (the shape compares by value).</summary>
    public bool Matches(BackboneIdentity other) =>
        other is not null && Name == other.Name && ModelSha256 == other.ModelSha256 && Preprocessing == other.Preprocessing
        && InputSize == other.InputSize && FeatureShape.SequenceEqual(other.FeatureShape) && Normalize == other.Normalize;

    /// <summary>A short human form: <c>resnet18 (sha256 1a2b3c4d5e6f…, 512x1x1)</c>, with <c>, l2</c> for normalised features.</summary>
    public override string ToString() =>
        $"{Name} (sha256 {ModelSha256[..Math.Min(12, ModelSha256.Length)]}…, {FeatureShapeText}{(Normalize == NoNormalization ? string.Empty : ", " + Normalize)})";
}
