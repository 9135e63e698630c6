namespace FacePipeline.Bench;

/// <summary>Feature-cache write and read throughput for one cache.</summary>
/// <param name="Name">Which cache.</param>
/// <param name="Rows">Rows.</param>
/// <param name="FeatureLength">Floats per row.</param>
/// <param name="FileBytes">Bytes of the Parquet part files.</param>
/// <param name="WriteMbPerSecond">Feature payload (rows × length × 4 bytes) MB written per second.</param>
/// <param name="ReadMbPerSecond">Feature payload MB read per second (rows streamed with their features).</param>
/// <param name="VerifyMbPerSecond">File MB per second checked by <c>Extract verify</c> (page hashes plus a full decode, no input given).</param>
internal sealed record CacheIoResult(string Name, int Rows, int FeatureLength, long FileBytes, Stats WriteMbPerSecond, Stats ReadMbPerSecond, Stats VerifyMbPerSecond)
{
    /// <summary>Feature payload in MB (10^6 bytes).</summary>
    public double PayloadMb => (double)Rows * FeatureLength * sizeof(float) / 1e6;
}
