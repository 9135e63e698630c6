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
    /// <summary>Version of the cache format; bumped on any incompatible change (2: face stage and face columns).</summary>
    public const string FormatVersion = "2";

    /// <summary>The previous format (no face stage, no face columns), still read: its parts are stage <c>none</c>.</summary>
    public const string FormatVersion1 = "1";

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

    /// <summary>Column: left edge of the face box in original image pixels (nullable; null for whole images).</summary>
    public const string FaceXColumn = "face_x";

    /// <summary>Column: top edge of the face box (nullable).</summary>
    public const string FaceYColumn = "face_y";

    /// <summary>Column: face box width (nullable).</summary>
    public const string FaceWidthColumn = "face_w";

    /// <summary>Column: face box height (nullable).</summary>
    public const string FaceHeightColumn = "face_h";

    /// <summary>Column: landmarks as flat x,y pairs in original pixels, in the detector's keypoint order (nullable list of float32).</summary>
    public const string FaceLandmarksColumn = "face_landmarks";

    /// <summary>Column: detector score of the kept face (nullable).</summary>
    public const string FaceScoreColumn = "face_score";

    /// <summary>Metadata key prefix.</summary>
    public const string Prefix = "facepipeline.";

    /// <summary>
    /// Metadata key: lower-case hex SHA-256 of the part's bytes before its footer (the leading magic and every column
    /// chunk, data pages included). Parquet.Net writes no page CRCs, and a flipped bit in an uncompressible float page
    /// decodes silently to another number; this is how <see cref="CacheVerifier"/> catches it. Parts written before
    /// this key existed lack it and are checked by decoding only.
    /// </summary>
    public const string DataSha256Key = Prefix + "data_sha256";

    /// <summary>Metadata key: the face stage's identity (<see cref="Faces.FaceStage.Identity"/>); parts without it are stage <c>none</c>.</summary>
    public const string FaceStageKey = Prefix + "face_stage";

    /// <summary>Metadata key: flip test-time augmentation (<see cref="BackboneIdentity.FlipTta"/>); parts without it are <c>off</c>.</summary>
    public const string FlipTtaKey = Prefix + "flip_tta";

    /// <summary>
    /// The Parquet schema: <c>path, label, split, sha256, features, face_x, face_y, face_w, face_h, face_landmarks,
    /// face_score</c> (format version 1 ended after <c>features</c>).
    /// </summary>
    public static ParquetSchema Schema { get; } = new(
        new DataField<string>(PathColumn, false),
        new DataField<string>(LabelColumn, false),
        new DataField<string>(SplitColumn, true),
        new DataField<string>(Sha256Column, false),
        new ListField(FeaturesColumn, new DataField<float>("element", false)),
        new DataField<float?>(FaceXColumn, true),
        new DataField<float?>(FaceYColumn, true),
        new DataField<float?>(FaceWidthColumn, true),
        new DataField<float?>(FaceHeightColumn, true),
        new ListField(FaceLandmarksColumn, new DataField<float>("element", false)),
        new DataField<float?>(FaceScoreColumn, true));

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
        [FaceStageKey] = backbone.FaceStage,
        [FlipTtaKey] = backbone.FlipTta,
    };

    /// <summary>Reads the backbone identity back from a part's metadata.</summary>
    /// <exception cref="FeatureCacheException">A key is missing or the format version is not this one.</exception>
    public static BackboneIdentity ReadIdentity(IReadOnlyDictionary<string, string> metadata, string file)
    {
        string Get(string key) => metadata.TryGetValue(Prefix + key, out string? value)
            ? value
            : throw new FeatureCacheException($"{file}: not a FacePipeline feature cache part (metadata '{Prefix}{key}' missing)");

        string version = Get("format_version");
        if (version != FormatVersion && version != FormatVersion1)
        {
            throw new FeatureCacheException($"{file}: cache format version {version}, this tool reads versions {FormatVersion1} and {FormatVersion}; re-run Extract with --rebuild");
        }

        int[] shape = JsonSerializer.Deserialize<int[]>(Get("backbone.feature_shape"))
            ?? throw new FeatureCacheException($"{file}: invalid feature shape metadata");
        // Parts written before normalisation existed hold raw outputs.
        string normalize = metadata.TryGetValue(Prefix + "backbone.normalize", out string? n) ? n : BackboneIdentity.NoNormalization;
        // Parts written before the face stage existed hold whole images.
        string faceStage = metadata.TryGetValue(FaceStageKey, out string? f) ? f : Faces.FaceStage.NoneIdentity;
        // Parts written before flip test-time augmentation existed hold features of the input alone.
        string flipTta = metadata.TryGetValue(FlipTtaKey, out string? t) ? t : BackboneIdentity.FlipTtaOff;
        return new BackboneIdentity(Get("backbone.name"), Get("backbone.model_sha256"), Get("backbone.preprocessing"), Get("backbone.input_size"), shape, normalize, faceStage, flipTta);
    }
}
