namespace FacePipeline.FeatureCache;

/// <summary>
/// One Parquet row group of a cache part, as the reader checked it: keys of every row and, when read, the features
/// of all rows as one row-major block (no per-row arrays).
/// </summary>
/// <param name="Part">The part it comes from.</param>
/// <param name="Index">Row-group index inside the part.</param>
/// <param name="FirstRow">Index of its first row inside the part.</param>
/// <param name="Paths">Path of each row.</param>
/// <param name="Labels">Label of each row.</param>
/// <param name="Splits">Split of each row (null when empty).</param>
/// <param name="Sha256">Content hash of each row.</param>
/// <param name="Features">Rows × feature length floats, row-major; empty when features were not read.</param>
/// <param name="Faces">Where the face of each row was (null: a whole image, or a version-1 part).</param>
public sealed record FeatureRowGroup(
    FeatureCachePart Part, int Index, long FirstRow, string[] Paths, string[] Labels, string?[] Splits, string[] Sha256, float[] Features, Faces.DetectedFace?[] Faces)
{
    /// <summary>Rows in the group.</summary>
    public int RowCount => Paths.Length;

    /// <summary>The features of row <paramref name="row"/> (empty when features were not read).</summary>
    public ReadOnlySpan<float> RowFeatures(int row)
    {
        int length = Part.Identity.FeatureLength;
        return Features.Length == 0 ? [] : Features.AsSpan(row * length, length);
    }
}
