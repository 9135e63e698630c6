using System.Globalization;
using System.Text.Json;
using FacePipeline.Backbones;
using Parquet.Schema;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The one definition of the feature-cache format: Parquet column names, key-value metadata keys and the format
/// version. Both the writer and the reader use it.
/// </summary>
public static class FeatureCacheSchema
{
    /// <summary>Version of the cache format; bumped on any incompatible change.</summary>
    public const string FormatVersion = "1";

    /// <summary>Rows per Parquet row group: about 50 MB of features for VGG16, so writers and readers stream.</summary>
    public const int RowGroupRows = 500;

    /// <summary>Rows per part file before a new part is started (each finished part is progress kept if the run stops).</summary>
    public const int PartRows = 2000;

    /// <summary>Column: path relative to the image set's root.</summary>
    public const string PathColumn = "path";

    /// <summary>Column: label.</summary>
    public const string LabelColumn = "label";

    /// <summary>Column: split (nullable).</summary>
    public const string SplitColumn = "split";

    /// <summary>Column: SHA-256 of the image bytes.</summary>
    public const string Sha256Column = "sha256";

    /// <summary>Column: the feature vector (list of float32).</summary>
    public const string FeaturesColumn = "features";

    /// <summary>Metadata key prefix.</summary>
    public const string Prefix = "facepipeline.";

    /// <summary>
    /// Metadata key: lower-case hex SHA-256 of the part's bytes before its footer (the leading magic and every column
    /// chunk, data pages included). Parquet.Net writes no page CRCs, and a flipped bit in an uncompressible float page
    /// decodes silently to another number; this is how <see cref="CacheVerifier"/> catches it. Parts written before
    /// this key existed lack it and are checked by decoding only.
    /// </summary>
    public const string DataSha256Key = Prefix + "data_sha256";

    /// <summary>The Parquet schema: <c>path, label, split, sha256, features</c>.</summary>
    public static ParquetSchema Schema { get; } = new(
        new DataField<string>(PathColumn, false),
        new DataField<string>(LabelColumn, false),
        new DataField<string>(SplitColumn, true),
        new DataField<string>(Sha256Column, false),
        new ListField(FeaturesColumn, new DataField<float>("element", false)));

    /// <summary>The key-value metadata written into every part file.</summary>
    public static Dictionary<string, string> Metadata(BackboneIdentity backbone, string toolVersion) => new()
    {
        [Prefix + "format_version"] = FormatVersion,
        [Prefix + "tool_version"] = toolVersion,
        [Prefix + "backbone.name"] = backbone.Name,
        [Prefix + "backbone.model_sha256"] = backbone.ModelSha256,
        [Prefix + "backbone.preprocessing"] = backbone.Preprocessing,
        [Prefix + "backbone.input_size"] = backbone.InputSize,
        [Prefix + "backbone.feature_shape"] = JsonSerializer.Serialize(backbone.FeatureShape),
        [Prefix + "backbone.normalize"] = backbone.Normalize,
        [Prefix + "feature_length"] = backbone.FeatureLength.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads the backbone identity back from a part's metadata.</summary>
    /// <exception cref="FeatureCacheException">A key is missing or the format version is not this one.</exception>
    public static BackboneIdentity ReadIdentity(IReadOnlyDictionary<string, string> metadata, string file)
    {
        string Get(string key) => metadata.TryGetValue(Prefix + key, out string? value)
            ? value
            : throw new FeatureCacheException($"{file}: not a FacePipeline feature cache part (metadata '{Prefix}{key}' missing)");

        string version = Get("format_version");
        if (version != FormatVersion)
        {
            throw new FeatureCacheException($"{file}: cache format version {version}, this tool reads version {FormatVersion}; re-run Extract with --rebuild");
        }

        int[] shape = JsonSerializer.Deserialize<int[]>(Get("backbone.feature_shape"))
            ?? throw new FeatureCacheException($"{file}: invalid feature shape metadata");
        // Parts written before normalisation existed hold raw outputs.
        string normalize = metadata.TryGetValue(Prefix + "backbone.normalize", out string? n) ? n : BackboneIdentity.NoNormalization;
        return new BackboneIdentity(Get("backbone.name"), Get("backbone.model_sha256"), Get("backbone.preprocessing"), Get("backbone.input_size"), shape, normalize);
    }
}
