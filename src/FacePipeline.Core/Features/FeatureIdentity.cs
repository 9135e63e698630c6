using System.Text.Json.Serialization;
using FacePipeline.Backbones;
using FacePipeline.Faces;

namespace FacePipeline.Features;

/// <summary>
/// What makes features comparable: the backbone that computed them and the face stage that fed it. Recorded in every
/// cache part and every head; features of two different identities never mix. <see cref="Compare"/> is the one
/// comparison every reader uses (the cache reader and verifier, Extract, the head and the predictor).
/// </summary>
/// <param name="Backbone">The backbone.</param>
/// <param name="FaceStage">The face stage (<see cref="FaceStage.None"/> for whole images; caches and heads written
/// before the face stage existed read as <c>none</c>, whole images in their stored orientation).</param>
[JsonConverter(typeof(FeatureIdentityJsonConverter))]
public sealed record FeatureIdentity(BackboneIdentity Backbone, FaceStage FaceStage)
{
    /// <summary>Number of floats per feature vector.</summary>
    public int FeatureLength => Backbone.FeatureLength;

    /// <summary>
    /// What differs between this identity (the features at hand) and <paramref name="expected"/>, or null when they are
    /// interchangeable. The backbone is compared first: a face stage difference is named only under the same backbone.
    /// </summary>
    public FeatureIdentityMismatch? Compare(FeatureIdentity expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!Backbone.Matches(expected.Backbone))
        {
            (string actual, string wanted) = (ToString(), expected.ToString());
            return actual == wanted
                ? new FeatureIdentityMismatch(false, Full(Backbone), Full(expected.Backbone))
                : new FeatureIdentityMismatch(false, actual, wanted);
        }

        if (FaceStage != expected.FaceStage)
        {
            return FaceStage.Short == expected.FaceStage.Short
                ? new FeatureIdentityMismatch(true, FaceStage.Identity, expected.FaceStage.Identity)
                : new FeatureIdentityMismatch(true, FaceStage.Short, expected.FaceStage.Short);
        }

        return null;
    }

    /// <summary>Whether features of <paramref name="other"/> are interchangeable with features of this identity.</summary>
    public bool Matches(FeatureIdentity other) => Compare(other) is null;

    /// <summary>Equal when <see cref="Matches"/> (the feature shape compares by value).</summary>
    public bool Equals(FeatureIdentity? other) => other is not null && Matches(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Backbone.Name, Backbone.ModelSha256, FaceStage);

    /// <summary>
    /// A short human form: <c>resnet18 (sha256 1a2b3c4d5e6f…, 512x1x1)</c>, with <c>, l2</c> for normalised features
    /// and <c>, faces detect (blazeface-front, generic)</c> under a face stage.
    /// </summary>
    public override string ToString() => FaceStage.Detects ? $"{Backbone.ToString()[..^1]}, faces {FaceStage.Short})" : Backbone.ToString();

    /// <summary>Every field, for two backbones whose short forms read the same.</summary>
    private static string Full(BackboneIdentity backbone) =>
        $"{backbone.Name} (sha256 {backbone.ModelSha256}, preprocessing {backbone.Preprocessing}, input {backbone.InputSize}, {backbone.FeatureShapeText}, normalize {backbone.Normalize})";
}
