namespace FacePipeline.FeatureCache;

/// <summary>Consecutive rows of one row group's features, as <see cref="FeatureCacheReader"/> reads them in pieces.</summary>
/// <param name="FirstRow">Index inside the row group of the slice's first row.</param>
/// <param name="RowCount">Rows in the slice.</param>
/// <param name="Features">Row-major floats of the rows from index 0 (the array may be longer, and is reused by the next slice).</param>
internal sealed record FeatureSlice(int FirstRow, int RowCount, float[] Features)
{
    /// <summary>The features of row <paramref name="row"/> of the slice (0-based in the slice).</summary>
    public ReadOnlySpan<float> Row(int row, int featureLength) => Features.AsSpan(row * featureLength, featureLength);
}
