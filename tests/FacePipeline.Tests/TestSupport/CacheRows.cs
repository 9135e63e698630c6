using FacePipeline.FeatureCache;

namespace FacePipeline.Tests.TestSupport;

/// <summary>The one read-all helper of the tests: every row of a cache, in the reader's order.</summary>
public static class CacheRows
{
    /// <summary>Every row <paramref name="reader"/> streams.</summary>
    public static async Task<List<FeatureRow>> ReadAllAsync(FeatureCacheReader reader)
    {
        var rows = new List<FeatureRow>();
        await foreach (FeatureRow row in reader.ReadRowsAsync())
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Every row of the cache in <paramref name="folder"/>.</summary>
    public static async Task<List<FeatureRow>> ReadAllAsync(string folder) => await ReadAllAsync(await FeatureCacheReader.OpenAsync(folder));
}
