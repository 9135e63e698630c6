namespace FacePipeline.FeatureCache;

/// <summary>One inconsistency <see cref="CacheVerifier"/> found.</summary>
/// <param name="Subject">A part file's name (relative to the cache folder), an image path as the cache keys it, or a shard.</param>
/// <param name="Problem">What is wrong and what to do.</param>
public sealed record CacheProblem(string Subject, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => $"{Subject}: {Problem}";
}
