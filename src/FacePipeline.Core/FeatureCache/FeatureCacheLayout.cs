using System.Globalization;
using FacePipeline.Dataset;
using FacePipeline.Storage;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The one owner of a cache folder's file names: parts <c>PREFIX RUN-NNNN.parquet</c> (the prefix names the shard),
/// the errors file of a run or shard, and the temporaries a crash can leave (<see cref="AtomicFile"/>'s scheme). The
/// columns and metadata inside a part are <see cref="FeatureCacheSchema"/>'s.
/// </summary>
public static class FeatureCacheLayout
{
    /// <summary>File name pattern of part files (hidden temporaries never match it).</summary>
    public const string PartPattern = "*.parquet";

    /// <summary>Name of the list of images that failed, for an unsharded run.</summary>
    public const string ErrorsFileName = "errors.csv";

    /// <summary>The file name prefix of the parts <paramref name="shard"/> owns: <c>part-</c>, or <c>part-shardIofN-</c>.</summary>
    public static string PartPrefix(ShardSpec shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return shard.Count == 1 ? "part-" : $"part-shard{shard.Index}of{shard.Count}-";
    }

    /// <summary>The file name of part <paramref name="number"/> of run <paramref name="runId"/>.</summary>
    public static string PartFileName(string prefix, string runId, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}{runId}-{number:D4}.parquet");

    /// <summary>The errors file <paramref name="shard"/> writes.</summary>
    public static string ErrorsFileNameOf(ShardSpec shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return shard.Count == 1 ? ErrorsFileName : $"errors-shard{shard.Index}of{shard.Count}.csv";
    }

    /// <summary>Deletes the temporaries of parts starting with <paramref name="prefix"/> that a stopped run left in <paramref name="folder"/>.</summary>
    public static void RemoveTemporaries(string folder, string prefix) => AtomicFile.RemoveTemporaries(folder, prefix);
}
