using System.Globalization;
using FacePipeline.Dataset;
using FacePipeline.Storage;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The one owner of a cache folder's file names: parts <c>PREFIX RUN-NNNN.parquet</c> (the prefix names the shard),
/// the errors file of a run or shard, a shard's lock file <c>.PREFIXlock</c>, the manifest of a shard's rebuild
/// (<c>PREFIXrebuild.json</c>, see <see cref="RebuildManifest"/>), and the temporaries a crash can leave
/// (<see cref="AtomicFile"/>'s scheme). The columns and metadata inside a part are <see cref="FeatureCacheSchema"/>'s.
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

    /// <summary>
    /// Whether <paramref name="fileName"/> (a part, or a part's temporary without its leading dot) belongs to the shard
    /// of <paramref name="prefix"/>. Run ids start with a digit, so <c>part-</c> (the whole set) does not claim
    /// <c>part-shard0of2-…</c>.
    /// </summary>
    public static bool IsPartOf(string fileName, string prefix)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(prefix);
        return fileName.Length > prefix.Length && fileName.StartsWith(prefix, StringComparison.Ordinal) && char.IsAsciiDigit(fileName[prefix.Length]);
    }

    /// <summary>The lock file a writer of the shard of <paramref name="prefix"/> holds (hidden; kept between runs).</summary>
    public static string LockFileName(string prefix) => $".{prefix}lock";

    /// <summary>The manifest of a rebuild of the shard of <paramref name="prefix"/> in progress or being finished.</summary>
    public static string RebuildFileName(string prefix) => $"{prefix}rebuild.json";

    /// <summary>
    /// Deletes the temporaries of this shard's parts (<paramref name="prefix"/>) that a stopped run left in
    /// <paramref name="folder"/>: only those whose writer process is gone, never another shard's.
    /// </summary>
    public static void RemoveTemporaries(string folder, string prefix)
    {
        foreach (string file in Directory.GetFiles(folder, AtomicFile.TemporaryPattern(prefix)))
        {
            int? owner = AtomicFile.OwnerProcessId(file);
            if (owner is not null && IsPartOf(Path.GetFileName(file)[1..], prefix) && !AtomicFile.IsProcessAlive(owner.Value))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// The part files of <paramref name="folder"/> a reader sees, sorted by name: visible <c>*.parquet</c> files less
    /// those a rebuild manifest hides (the new parts until the rebuild is complete, the superseded ones after).
    /// </summary>
    public static List<string> VisiblePartFiles(string folder)
    {
        // The manifests are read before and after listing: a rebuild that switched in between is listed again.
        for (int attempt = 0; ; attempt++)
        {
            List<RebuildManifest> before = RebuildManifest.ReadAll(folder);
            string[] files = Directory.GetFiles(folder, PartPattern);
            List<RebuildManifest> after = RebuildManifest.ReadAll(folder);
            if (attempt < 3 && !before.SequenceEqual(after))
            {
                continue;
            }

            return files
                .Where(f => !Path.GetFileName(f).StartsWith('.') && !after.Any(m => m.Hides(Path.GetFileName(f))))
                .Order(StringComparer.Ordinal)
                .ToList();
        }
    }
}
