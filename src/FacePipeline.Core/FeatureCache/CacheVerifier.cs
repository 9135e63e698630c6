using System.Diagnostics;
using CsvHelper;
using FacePipeline.Dataset;
using FacePipeline.Features;

namespace FacePipeline.FeatureCache;

/// <summary>
/// Checks a cache folder that several shards wrote into: every part is readable down to its data pages and matches its
/// recorded data checksum, all parts share one backbone identity, no image path is held twice, every shard of each
/// layout ran, and — given the input — the cache holds every input image exactly once with its current bytes, label
/// and split. What a pipeline runs after a sharded extraction, before training.
/// </summary>
public static class CacheVerifier
{
    /// <summary>Verifies <paramref name="folder"/>.</summary>
    /// <param name="folder">The cache folder.</param>
    /// <param name="input">The image set the cache should cover exactly (hashed again, as Extract does); null to check the cache alone.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    /// <exception cref="FacePipelineException">The folder does not exist.</exception>
    public static async Task<CacheVerification> VerifyAsync(string folder, IReadOnlyList<LabelledImage>? input, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            throw new FacePipelineException($"{folder}: feature cache not found; run Extract first");
        }

        var clock = Stopwatch.StartNew();
        var problems = new List<CacheProblem>();
        string[] files = [.. FeatureCacheLayout.VisiblePartFiles(folder)];

        var parts = new List<(string Name, FeatureIdentity Identity, long Rows)>();
        var holders = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var cached = new Dictionary<string, (FeatureRow Row, string Part)>(StringComparer.Ordinal);
        long bytes = 0;
        int withoutChecksum = 0;
        foreach (string file in files)
        {
            string name = Path.GetFileName(file);
            bytes += new FileInfo(file).Length;
            PartCheck check = await CheckPartAsync(file, cancellationToken);
            if (check.Problem is not null)
            {
                problems.Add(new CacheProblem(name, check.Problem));
                continue;
            }

            withoutChecksum += check.HasChecksum ? 0 : 1;
            parts.Add((name, check.Identity!, check.Rows.Count));
            foreach (FeatureRow row in check.Rows)
            {
                if (!holders.TryGetValue(row.Path, out List<string>? holding))
                {
                    holders[row.Path] = holding = [];
                    cached[row.Path] = (row, name);
                }

                holding.Add(name);
            }
        }

        problems.AddRange(IdentityProblems(parts));
        problems.AddRange(holders
            .Where(h => h.Value.Count > 1)
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => new CacheProblem(h.Key, $"held {h.Value.Count} times ({string.Join(", ", h.Value)}); delete the extra part(s) or re-run Extract with --rebuild for that shard")));

        Dictionary<string, string> failures = ReadFailures(folder);
        IReadOnlyList<int> layouts = ShardLayouts(files.Select(Path.GetFileName)!);
        problems.AddRange(MissingShards(folder, files, layouts));
        if (input is not null)
        {
            problems.AddRange(CoverageProblems(input, cached, failures, layouts, cancellationToken));
        }

        return new CacheVerification(problems, files.Length, parts.Sum(p => p.Rows), bytes, withoutChecksum, input?.Count, clock.Elapsed.TotalSeconds);
    }

    private sealed record PartCheck(string? Problem, FeatureIdentity? Identity, List<FeatureRow> Rows, bool HasChecksum);

    /// <summary>Checks the part's bytes against its recorded checksum (<see cref="PartIntegrity"/>), then decodes every column of every row group.</summary>
    private static async Task<PartCheck> CheckPartAsync(string file, CancellationToken cancellationToken)
    {
        const string remedy = "; delete it and re-run Extract for its shard";
        PartIntegrity integrity = await PartIntegrity.CheckAsync(file, cancellationToken);
        if (integrity.Problem is not null)
        {
            return new PartCheck(integrity.Problem + remedy, integrity.Identity, [], integrity.HasChecksum);
        }

        FeatureIdentity identity = integrity.Identity!;
        bool recorded = integrity.HasChecksum;
        var rows = new List<FeatureRow>();
        try
        {
            var part = new FeatureCachePart(file, identity, 0);
            await foreach (FeatureRow row in FeatureCacheReader.ReadPartRowsAsync(part, includeFeatures: true, cancellationToken))
            {
                // Only the keys are kept: a cache of millions of VGG16 rows does not fit, and the features were decoded.
                rows.Add(row with { Features = [] });
                if (row.Path is null || row.Label is null || row.Sha256 is null)
                {
                    return new PartCheck($"a row without path, label or sha256 (row {rows.Count}){remedy}", identity, [], recorded);
                }
            }
        }
        catch (Exception error) when (PartIntegrity.IsCorruption(error))
        {
            return new PartCheck($"unreadable data ({PartIntegrity.OneLine(error)}){remedy}", identity, [], recorded);
        }

        return new PartCheck(null, identity, rows, recorded);
    }

    /// <summary>Parts whose identity is not the one most rows have (by <see cref="FeatureIdentity.Compare"/>).</summary>
    private static IEnumerable<CacheProblem> IdentityProblems(List<(string Name, FeatureIdentity Identity, long Rows)> parts)
    {
        var groups = new List<(FeatureIdentity Identity, long Rows, List<string> Parts)>();
        foreach ((string name, FeatureIdentity identity, long rows) in parts)
        {
            int index = groups.FindIndex(g => g.Identity.Matches(identity));
            if (index < 0)
            {
                groups.Add((identity, rows, [name]));
            }
            else
            {
                groups[index] = (groups[index].Identity, groups[index].Rows + rows, [.. groups[index].Parts, name]);
            }
        }

        if (groups.Count < 2)
        {
            yield break;
        }

        var main = groups.OrderByDescending(g => g.Rows).ThenBy(g => g.Parts[0], StringComparer.Ordinal).First();
        foreach (var group in groups.Where(g => !ReferenceEquals(g.Parts, main.Parts)))
        {
            FeatureIdentityMismatch mismatch = group.Identity.Compare(main.Identity)!;
            foreach (string name in group.Parts)
            {
                yield return new CacheProblem(name, mismatch.Problem(
                    string.Empty, $"the cache's other {main.Parts.Count} part(s)", $"delete it or re-extract its shard with the cache's {mismatch.Aspect}"));
            }
        }
    }

    /// <summary>The shard counts N of the sharded parts present (a cache normally has one layout).</summary>
    private static List<int> ShardLayouts(IEnumerable<string> names) =>
        names.Select(FeatureCacheLayout.ShardOf)
            .OfType<ShardSpec>()
            .Select(s => s.Count)
            .Distinct()
            .Order()
            .ToList();

    /// <summary>A shard that ran leaves its errors file (even an empty one) and its parts; one with neither never ran.</summary>
    private static IEnumerable<CacheProblem> MissingShards(string folder, string[] files, IReadOnlyList<int> layouts)
    {
        foreach (int count in layouts)
        {
            for (int index = 0; index < count; index++)
            {
                var shard = new ShardSpec(index, count);
                bool hasPart = files.Any(f => FeatureCacheLayout.ShardOf(Path.GetFileName(f)) == shard);
                bool ran = File.Exists(Path.Combine(folder, FeatureCacheLayout.ErrorsFileNameOf(shard)));
                if (!hasPart && !ran)
                {
                    yield return new CacheProblem($"shard {shard}",
                        $"never ran (no {FeatureCacheLayout.PartPatternOf(shard)}, no {FeatureCacheLayout.ErrorsFileNameOf(shard)}); run Extract --shard {shard}");
                }
            }
        }
    }

    /// <summary>Image path → reason, from every errors file the shards wrote.</summary>
    private static Dictionary<string, string> ReadFailures(string folder)
    {
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(folder, FeatureCacheLayout.ErrorsPattern))
        {
            using CsvReader csv = CsvReader.FromFile(file, CsvReaderOptions.Default);
            if (!csv.TryGetFieldIndex("path", out int pathIndex) || !csv.TryGetFieldIndex("reason", out int reasonIndex))
            {
                continue;
            }

            while (csv.Read())
            {
                failures[csv.GetString(pathIndex) ?? string.Empty] = csv.GetString(reasonIndex) ?? string.Empty;
            }
        }

        return failures;
    }

    private static List<CacheProblem> CoverageProblems(
        IReadOnlyList<LabelledImage> input,
        Dictionary<string, (FeatureRow Row, string Part)> cached,
        Dictionary<string, string> failures,
        IReadOnlyList<int> layouts,
        CancellationToken cancellationToken)
    {
        (string?[] hashes, string?[] readErrors) = HashCachedInputs(input, cached, cancellationToken);
        var problems = new List<CacheProblem>();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < input.Count; i++)
        {
            wanted.Add(input[i].Path);
            CacheProblem? problem = InputProblem(input[i], cached, hashes[i], readErrors[i], failures, layouts);
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        problems.AddRange(cached
            .Where(c => !wanted.Contains(c.Key))
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new CacheProblem(c.Key, $"extra: in {c.Value.Part} but not in the input; re-run Extract over this input to drop it")));
        return problems;
    }

    /// <summary>
    /// The SHA-256 of each input file the cache holds a row for (null for the others), or why it could not be read;
    /// hashed in parallel because this reads every image once.
    /// </summary>
    private static (string?[] Hashes, string?[] ReadErrors) HashCachedInputs(
        IReadOnlyList<LabelledImage> input,
        Dictionary<string, (FeatureRow Row, string Part)> cached,
        CancellationToken cancellationToken)
    {
        var hashes = new string?[input.Count];
        var readErrors = new string?[input.Count];
        Parallel.For(0, input.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            if (!cached.ContainsKey(input[i].Path))
            {
                return;
            }

            try
            {
                hashes[i] = ContentHash.OfFile(input[i].FullPath);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                readErrors[i] = error.Message;
            }
        });
        return (hashes, readErrors);
    }

    /// <summary>What is wrong with the cache's row for one input image, or null when the row is current.</summary>
    private static CacheProblem? InputProblem(
        LabelledImage image,
        Dictionary<string, (FeatureRow Row, string Part)> cached,
        string? hash,
        string? readError,
        Dictionary<string, string> failures,
        IReadOnlyList<int> layouts)
    {
        if (!cached.TryGetValue(image.Path, out (FeatureRow Row, string Part) entry))
        {
            string why = failures.TryGetValue(image.Path, out string? reason)
                ? $"failed during extraction ({reason}); fix or remove the image, then re-run Extract"
                : $"not in the cache; re-run Extract{ShardHint(image.Path, layouts)}";
            return new CacheProblem(image.Path, $"missing: {why}");
        }

        if (readError is not null)
        {
            return new CacheProblem(image.Path, $"cannot read the input file ({readError})");
        }

        if (hash != entry.Row.Sha256)
        {
            return new CacheProblem(image.Path,
                $"stale: the file's SHA-256 is {hash![..12]}…, {entry.Part} holds {entry.Row.Sha256[..Math.Min(12, entry.Row.Sha256.Length)]}…; re-run Extract{ShardHint(image.Path, layouts)}");
        }

        if (image.Label != entry.Row.Label || image.Split != entry.Row.Split)
        {
            return new CacheProblem(image.Path,
                $"stale: label/split {image.Label}/{image.Split ?? "-"} in the input, {entry.Row.Label}/{entry.Row.Split ?? "-"} in {entry.Part}; re-run Extract{ShardHint(image.Path, layouts)}");
        }

        return null;
    }

    /// <summary>Names the one shard that takes <paramref name="path"/> when the cache has a single sharded layout.</summary>
    private static string ShardHint(string path, IReadOnlyList<int> layouts)
    {
        if (layouts.Count != 1)
        {
            return string.Empty;
        }

        int count = layouts[0];
        for (int index = 0; index < count; index++)
        {
            var shard = new ShardSpec(index, count);
            if (shard.Contains(path))
            {
                return $" --shard {shard}";
            }
        }

        return string.Empty;
    }
}
