using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Backbones;
using FacePipeline.Faces;

namespace FacePipeline.Features;

/// <summary>
/// Writes a <see cref="FeatureIdentity"/> as the flat object heads have always recorded (<c>head.json</c>'s
/// <c>backbone</c>, <c>metrics.json</c>'s): the backbone's fields, <c>face_stage</c> as its identity string, then
/// <c>feature_length</c> and <c>feature_shape_text</c>; property names follow the caller's naming policy. Reads it
/// back, older heads included (no <c>normalize</c>: <c>none</c>; no <c>face_stage</c>: whole images).
/// </summary>
internal sealed class FeatureIdentityJsonConverter : JsonConverter<FeatureIdentity>
{
    /// <inheritdoc />
    public override FeatureIdentity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        Stored stored = JsonSerializer.Deserialize<Stored>(ref reader, options) ?? throw new JsonException("backbone identity is null");
        var backbone = new BackboneIdentity(stored.Name, stored.ModelSha256, stored.Preprocessing, stored.InputSize, stored.FeatureShape, stored.Normalize);
        return new FeatureIdentity(backbone, FaceStage.Parse(stored.FaceStage, "head.json"));
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, FeatureIdentity value, JsonSerializerOptions options)
    {
        BackboneIdentity b = value.Backbone;
        var stored = new Stored(b.Name, b.ModelSha256, b.Preprocessing, b.InputSize, b.FeatureShape, b.Normalize, value.FaceStage.Identity, b.FeatureLength, b.FeatureShapeText);
        JsonSerializer.Serialize(writer, stored, options);
    }

    /// <summary>
    /// The recorded form, field for field in the order heads have always written; the last two are derived and ignored
    /// on reading.
    /// </summary>
    private sealed record Stored(
        string Name,
        string ModelSha256,
        string Preprocessing,
        string InputSize,
        IReadOnlyList<int> FeatureShape,
        string Normalize = BackboneIdentity.NoNormalization,
        string FaceStage = Faces.FaceStage.NoneIdentity,
        int FeatureLength = 0,
        string? FeatureShapeText = null);
}
