using System.Globalization;

namespace FacePipeline.FeatureCache;

/// <summary>What <see cref="CacheVerifier"/> checked and found.</summary>
/// <param name="Problems">Every inconsistency, one per part, path or shard; empty when the cache is consistent.</param>
/// <param name="PartCount">Part files checked.</param>
/// <param name="RowCount">Rows decoded over all readable parts.</param>
/// <param name="Bytes">Bytes of part files read.</param>
/// <param name="PartsWithoutChecksum">Parts without <see cref="FeatureCacheSchema.DataSha256Key"/> (written by an older version): checked by decoding only.</param>
/// <param name="InputImages">Images of the input compared with the cache; null when no input was given.</param>
/// <param name="ElapsedSeconds">Wall time of the whole check.</param>
public sealed record CacheVerification(
    IReadOnlyList<CacheProblem> Problems,
    int PartCount,
    long RowCount,
    long Bytes,
    int PartsWithoutChecksum,
    int? InputImages,
    double ElapsedSeconds)
{
    /// <summary>Whether no problem was found.</summary>
    public bool Consistent => Problems.Count == 0;

    /// <summary>The one-line summary.</summary>
    public string Line
    {
        get
        {
            var inv = CultureInfo.InvariantCulture;
            string verdict = Consistent ? "consistent" : $"{Problems.Count} problem(s)";
            string input = InputImages is null ? "no input given" : string.Create(inv, $"input of {InputImages} images");
            string decodedOnly = PartsWithoutChecksum > 0 ? string.Create(inv, $"; {PartsWithoutChecksum} part(s) without a data checksum, decoded only") : string.Empty;
            double megabytes = Bytes / 1e6;
            return string.Create(inv,
                $"verify: {verdict}: {PartCount} parts, {RowCount} rows, {megabytes:F1} MB, {input}{decodedOnly} ({ElapsedSeconds:F1} s, {megabytes / Math.Max(ElapsedSeconds, 1e-9):F0} MB/s)");
        }
    }
}
