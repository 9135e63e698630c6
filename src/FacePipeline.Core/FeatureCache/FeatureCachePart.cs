using FacePipeline.Features;

namespace FacePipeline.FeatureCache;

/// <summary>One part file of a cache with its features' identity and row count.</summary>
/// <param name="FilePath">Full path of the .parquet file.</param>
/// <param name="Identity">The backbone and face stage that made it.</param>
/// <param name="RowCount">Rows in it.</param>
public sealed record FeatureCachePart(string FilePath, FeatureIdentity Identity, long RowCount)
{
    /// <summary>Rows of each Parquet row group, in file order (empty when the part was not listed by the reader).</summary>
    public IReadOnlyList<int> RowGroupRows { get; init; } = [];
}
