using System.Globalization;
using FacePipeline.Dataset;
using FacePipeline.Features;
using FacePipeline.Reporting;
using FacePipeline.Storage;

namespace FacePipeline.FeatureCache;

/// <summary>
/// One run's write access to one shard of a cache folder. Opening takes the shard's lock (held until disposed),
/// finishes or undoes what a stopped rebuild left (<see cref="RebuildManifest"/>), deletes the temporaries of the
/// shard's parts a crash left, opens the parts (refusing those of another backbone) and checks the shard's own against
/// their data checksums. The run then rewrites or drops its own parts, adds rows (new parts of
/// <see cref="FeatureCacheSchema.PartRows"/> rows each, named by <see cref="FeatureCacheLayout"/>), writes the contact
/// sheet and, on <see cref="CompleteAsync"/>, the errors file. With a rebuild the shard's old parts are not opened and
/// stay the cache until <see cref="CompleteAsync"/> switches to the new set; a run disposed before that drops the
/// rebuild's new parts.
/// </summary>
public sealed class FeatureCacheShardWriter : IAsyncDisposable
{
    private readonly string prefix;
    private readonly string runId;
    private readonly FeatureIdentity identity;
    private readonly ShardLock held;
    private RebuildManifest? rebuild;
    private FeatureCachePartWriter? part;
    private int partNumber;

    private FeatureCacheShardWriter(string folder, ShardSpec shard, FeatureIdentity identity, ShardLock held, string runId, IReadOnlyList<FeatureCachePart> parts)
    {
        Folder = folder;
        Shard = shard;
        this.identity = identity;
        this.held = held;
        this.runId = runId;
        prefix = FeatureCacheLayout.PartPrefix(shard);
        OwnParts = parts.Where(p => FeatureCacheLayout.IsPartOf(Path.GetFileName(p.FilePath), prefix)).ToList();
        OtherLayoutParts = parts.Where(p => !FeatureCacheLayout.IsPartOf(Path.GetFileName(p.FilePath), prefix)).ToList();
    }

    /// <summary>The cache folder (full path).</summary>
    public string Folder { get; }

    /// <summary>The shard written.</summary>
    public ShardSpec Shard { get; }

    /// <summary>The shard's parts from earlier runs, checked against their checksums (none with a rebuild).</summary>
    public IReadOnlyList<FeatureCachePart> OwnParts { get; }

    /// <summary>The parts of other shard layouts (a cache made unsharded or with another N); never rewritten here.</summary>
    public IReadOnlyList<FeatureCachePart> OtherLayoutParts { get; }

    /// <summary>Opens <paramref name="shard"/> of the cache in <paramref name="folder"/> (created) for a run writing <paramref name="identity"/>'s features.</summary>
    /// <param name="folder">The cache folder.</param>
    /// <param name="shard">The shard this run writes.</param>
    /// <param name="identity">The backbone and face stage of the run's features.</param>
    /// <param name="rebuild">Supersede the shard's parts instead of reading them.</param>
    /// <param name="cancellationToken">Stops opening.</param>
    /// <exception cref="FacePipelineException">The cache was made by another backbone (and no rebuild was asked), a part cannot be read or fails its checksum, or another process writes this shard.</exception>
    public static async Task<FeatureCacheShardWriter> OpenAsync(string folder, ShardSpec shard, FeatureIdentity identity, bool rebuild, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shard);
        folder = Path.GetFullPath(folder);
        string prefix = FeatureCacheLayout.PartPrefix(shard);
        Directory.CreateDirectory(folder);
        ShardLock held = ShardLock.Acquire(folder, prefix, shard.ToString());
        bool handedOut = false;
        try
        {
            RebuildManifest.Resolve(folder, prefix);
            RemoveStaleTemporaries(folder, prefix);
            string runId = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);
            (List<FeatureCachePart> parts, List<string> superseded) = await OpenPartsAsync(folder, prefix, identity, rebuild, cancellationToken);
            var opened = new FeatureCacheShardWriter(folder, shard, identity, held, runId, parts);
            await opened.VerifyChecksumsAsync(cancellationToken);
            if (rebuild)
            {
                opened.rebuild = new RebuildManifest(prefix, runId, superseded, Complete: false);
                opened.rebuild.Write(folder);
            }

            handedOut = true;
            return opened;
        }
        finally
        {
            if (!handedOut)
            {
                held.Dispose();
            }
        }
    }

    /// <summary>
    /// Keeps only the rows of <paramref name="own"/> (one of <see cref="OwnParts"/>) whose path <paramref name="keep"/>
    /// holds, with that image's label and split, rewriting the part atomically; a part left without rows is deleted.
    /// </summary>
    public async Task RewritePartAsync(FeatureCachePart own, IReadOnlyDictionary<string, LabelledImage> keep, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Count == 0)
        {
            File.Delete(own.FilePath);
            return;
        }

        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(own.FilePath, identity, ToolInfo.Version, cancellationToken);
        await foreach (FeatureRow row in FeatureCacheReader.ReadPartRowsAsync(own, includeFeatures: true, cancellationToken))
        {
            if (keep.TryGetValue(row.Path, out LabelledImage? image))
            {
                await writer.AddAsync(row with { Label = image.Label!, Split = image.Split }, cancellationToken);
            }
        }

        await writer.CommitAsync(cancellationToken);
    }

    /// <summary>Adds a row of this run to the open part; a full part is committed, so it survives an interrupted run.</summary>
    public async Task AddAsync(FeatureRow row, CancellationToken cancellationToken = default)
    {
        part ??= await FeatureCachePartWriter.CreateAsync(
            Path.Combine(Folder, FeatureCacheLayout.PartFileName(prefix, runId, partNumber++)), identity, ToolInfo.Version, cancellationToken);
        await part.AddAsync(row, cancellationToken);
        if (part.RowCount >= FeatureCacheSchema.PartRows)
        {
            await CommitPartAsync(cancellationToken);
        }
    }

    /// <summary>Commits the rows added since the last part as a part (nothing when there are none).</summary>
    public async Task CommitPartAsync(CancellationToken cancellationToken = default)
    {
        if (part is null)
        {
            return;
        }

        try
        {
            await part.CommitAsync(cancellationToken);
        }
        finally
        {
            await part.DisposeAsync();
            part = null;
        }
    }

    /// <summary>Writes the contact sheet of what this run fed the backbone (<see cref="FeatureCacheLayout.FacesSheetFileName"/>, atomically).</summary>
    public void WriteFacesSheet(byte[] png) => AtomicFile.Write(Path.Combine(Folder, FeatureCacheLayout.FacesSheetFileName), stream => stream.Write(png));

    /// <summary>
    /// Ends the run: commits the open part, writes the shard's errors file (<see cref="FeatureCacheLayout.ErrorsFileNameOf"/>,
    /// sorted by path) and, for a rebuild, switches the cache from the old parts to the new ones.
    /// </summary>
    /// <param name="failures">The images of the shard that were skipped, and why.</param>
    /// <param name="cancellationToken">Stops committing the open part.</param>
    public async Task CompleteAsync(IEnumerable<(string Path, string Reason)> failures, CancellationToken cancellationToken = default)
    {
        await CommitPartAsync(cancellationToken);
        WriteErrors(failures);
        if (rebuild is not null)
        {
            // The one switch from the old parts to the new ones (an atomic rename), then the old are deleted.
            rebuild = rebuild with { Complete = true };
            rebuild.Write(Folder);
            rebuild.Finish(Folder);
        }
    }

    /// <summary>Drops an uncommitted part and an incomplete rebuild's new parts, and releases the shard's lock.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (part is not null)
            {
                await part.DisposeAsync();
                part = null;
            }

            if (rebuild is not null && !rebuild.Complete)
            {
                rebuild.Abandon(Folder);
            }
        }
        finally
        {
            held.Dispose();
        }
    }

    /// <summary>Deletes the temporaries of the shard's parts whose writer process is gone (only a crash leaves those behind).</summary>
    private static void RemoveStaleTemporaries(string folder, string prefix)
    {
        foreach ((string file, int writer) in FeatureCacheLayout.PartTemporaries(folder, prefix))
        {
            if (!AtomicFile.IsProcessAlive(writer))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// The cache's parts, and with <paramref name="rebuild"/> the file names of the shard's parts the rebuild
    /// supersedes instead (not opened: a rebuild repairs a part that cannot be read); refuses parts of another backbone.
    /// </summary>
    private static async Task<(List<FeatureCachePart> Parts, List<string> Superseded)> OpenPartsAsync(
        string folder, string prefix, FeatureIdentity identity, bool rebuild, CancellationToken cancellationToken)
    {
        var parts = new List<FeatureCachePart>();
        var superseded = new List<string>();
        foreach (string file in FeatureCacheLayout.VisiblePartFiles(folder))
        {
            if (rebuild && FeatureCacheLayout.IsPartOf(Path.GetFileName(file), prefix))
            {
                superseded.Add(Path.GetFileName(file));
            }
            else
            {
                parts.Add(await FeatureCacheReader.ReadPartAsync(file, cancellationToken));
            }
        }

        FeatureCachePart? foreign = parts.FirstOrDefault(p => !p.Identity.Matches(identity));
        if (foreign?.Identity.Compare(identity) is FeatureIdentityMismatch mismatch)
        {
            bool own = FeatureCacheLayout.IsPartOf(Path.GetFileName(foreign.FilePath), prefix);
            string remedy = (own, mismatch.InFaceStage) switch
            {
                (true, true) => "pass --faces auto to keep it, --rebuild to recompute it, or use another --out folder",
                (true, false) => "use another --out folder, or --rebuild to recompute it with this backbone",
                _ => "its parts belong to other shards: rebuild every shard, or use another --out folder",
            };
            throw new FacePipelineException(mismatch.Message(folder, $"cache part {Path.GetFileName(foreign.FilePath)} was", "this run", remedy));
        }

        return (parts, superseded);
    }

    /// <summary>
    /// Checks the shard's parts against their recorded data checksum before trusting them: a re-run reads only
    /// their path and hash columns, which a flipped bit in the features would pass.
    /// </summary>
    private async Task VerifyChecksumsAsync(CancellationToken cancellationToken)
    {
        foreach (FeatureCachePart own in OwnParts)
        {
            string? problem = (await PartIntegrity.CheckAsync(own.FilePath, cancellationToken)).Problem;
            if (problem is not null)
            {
                string shardOption = Shard.Count == 1 ? string.Empty : $" --shard {Shard}";
                throw new FacePipelineException($"{own.FilePath}: {problem}; re-run Extract{shardOption} with --rebuild to recompute this shard");
            }
        }
    }

    private void WriteErrors(IEnumerable<(string Path, string Reason)> failures)
    {
        string path = Path.Combine(Folder, FeatureCacheLayout.ErrorsFileNameOf(Shard));
        string[] header = ["path", "reason"];
        string[][] rows = failures.OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => new[] { f.Path, f.Reason }).ToArray();
        // Written only when its content changes, so an unchanged re-run writes nothing (a read-only cache works).
        using var rendered = new MemoryStream();
        CsvTable.Write(rendered, header, rows);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(rendered.ToArray()))
        {
            return;
        }

        CsvTable.Write(path, header, rows);
    }
}
