using FacePipeline.Dataset;

namespace FacePipeline.Extraction;

/// <summary>What to extract and where.</summary>
public sealed record ExtractionOptions
{
    /// <summary>The images (all of them; the shard filter is applied by the extractor).</summary>
    public required IReadOnlyList<LabelledImage> Images { get; init; }

    /// <summary>Cache folder.</summary>
    public required string CacheFolder { get; init; }

    /// <summary>Images per inference batch.</summary>
    public int BatchSize { get; init; } = Backbones.Backbone.DefaultBatchSize;

    /// <summary>Which part of the set this run owns.</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.All;

    /// <summary>
    /// The face stage the cache's features are made under (a concrete stage, never "auto": Extract decides that before);
    /// part of the cache identity.
    /// </summary>
    public Faces.FaceStage FaceStage { get; init; } = Faces.FaceStage.None;

    /// <summary>Average each face's features with those of its mirror (<see cref="FlipAugmentation"/>); part of the cache identity.</summary>
    public bool FlipTta { get; init; }

    /// <summary>
    /// Files of the input that have no label (directly in the image folder, outside any person folder): not extracted,
    /// listed in errors.csv with <see cref="UnlabelledReason"/>.
    /// </summary>
    public IReadOnlyList<string> Unlabelled { get; init; } = [];

    /// <summary>The errors.csv reason of an <see cref="Unlabelled"/> file.</summary>
    public const string UnlabelledReason = "at the top level of the image folder, outside any person folder, so it has no label; move it into a folder named after the person";

    /// <summary>Drop this shard's cached rows first, even when they come from another backbone.</summary>
    public bool Rebuild { get; init; }
}
