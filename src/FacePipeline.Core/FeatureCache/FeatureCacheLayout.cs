using System.Globalization;
using System.Text.RegularExpressions;
using FacePipeline.Dataset;
using FacePipeline.Storage;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The one owner of a cache folder's file names: parts <c>PREFIX RUN-NNNN.parquet</c> (the prefix names the shard),
/// the errors file of a run or shard, the contact sheet <c>faces.png</c>, a shard's lock file <c>.PREFIXlock</c>, the
/// manifest of a shard's rebuild (<c>PREFIXrebuild.json</c>, see <see cref="RebuildManifest"/>), and the temporaries a
/// crash can leave (<see cref="AtomicFile"/>'s scheme). The columns and metadata inside a part are
/// <see cref="FeatureCacheSchema"/>'s.
/// </summary>
public static partial class FeatureCacheLayout
{
    /// <summary>File name pattern of part files (hidden temporaries never match it).</summary>
    public const string PartPattern = "*.parquet";

    /// <summary>Name of the list of images that failed, for an unsharded run.</summary>
    public const string ErrorsFileName = "errors.csv";

    /// <summary>File name pattern of the errors files of every run and shard.</summary>
    public const string ErrorsPattern = "errors*.csv";

    /// <summary>File name of the contact sheet of what the backbone received in the last run that computed features.</summary>
    public const string FacesSheetFileName = "faces.png";

    /// <summary>File name pattern of rebuild manifests (<see cref="RebuildFileName"/>).</summary>
    private const string RebuildPattern = "*rebuild.json";

    /// <summary>The file name prefix of the parts <paramref name="shard"/> owns: <c>part-</c>, or <c>part-shardIofN-</c>.</summary>
    public static string PartPrefix(ShardSpec shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return shard.Count == 1 ? "part-" : $"part-shard{shard.Index}of{shard.Count}-";
    }

    /// <summary>The file name of part <paramref name="number"/> of run <paramref name="runId"/>.</summary>
    public static string PartFileName(string prefix, string runId, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}{runId}-{number:D4}.parquet");

    /// <summary>The file name pattern of the parts whose names start with <paramref name="shard"/>'s prefix.</summary>
    public static string PartPatternOf(ShardSpec shard) => $"{PartPrefix(shard)}{PartPattern}";

    /// <summary>
    /// The shard of a sharded part's file name (<c>part-shardIofN-…</c>), or null for a part of the whole set (or a
    /// name that is no part's).
    /// </summary>
    public static ShardSpec? ShardOf(string fileName)
    {
        Match match = ShardPartName().Match(fileName);
        return match.Success
            && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            ? new ShardSpec(index, count)
            : null;
    }

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

    /// <summary>The rebuild manifests in <paramref name="folder"/> (visible files only), sorted by file name.</summary>
    public static IEnumerable<string> RebuildFiles(string folder) =>
        Directory.GetFiles(folder, RebuildPattern).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="fileName"/> is a part written by run <paramref name="runId"/> of the shard of <paramref name="prefix"/>.</summary>
    public static bool IsPartOfRun(string fileName, string prefix, string runId)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return fileName.StartsWith($"{prefix}{runId}-", StringComparison.Ordinal);
    }

    /// <summary>The part files run <paramref name="runId"/> of the shard of <paramref name="prefix"/> wrote into <paramref name="folder"/>.</summary>
    public static string[] RunPartFiles(string folder, string prefix, string runId) => Directory.GetFiles(folder, $"{prefix}{runId}-{PartPattern}");

    /// <summary>
    /// The temporaries in <paramref name="folder"/> of the parts of the shard of <paramref name="prefix"/> (never
    /// another shard's), with the process id of their writer.
    /// </summary>
    public static IEnumerable<(string File, int WriterProcessId)> PartTemporaries(string folder, string prefix)
    {
        foreach (string file in Directory.GetFiles(folder, AtomicFile.TemporaryPattern(prefix)))
        {
            if (AtomicFile.OwnerProcessId(file) is int owner && IsPartOf(Path.GetFileName(file)[1..], prefix))
            {
                yield return (file, owner);
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

    [GeneratedRegex(@"^part-shard(\d+)of(\d+)-", RegexOptions.CultureInvariant)]
    private static partial Regex ShardPartName();
}
