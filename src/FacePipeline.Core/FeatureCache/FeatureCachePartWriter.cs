using FacePipeline.Backbones;
using FacePipeline.Storage;
using Parquet;
using Parquet.Schema;

namespace FacePipeline.FeatureCache;

/// <summary>
/// Writes one cache part: rows are buffered into row groups of <see cref="FeatureCacheSchema.RowGroupRows"/>, written
/// to a hidden temporary file in the cache folder (named by <see cref="AtomicFile"/>), and the file is renamed into place only by
/// <see cref="CommitAsync"/>. A part that is never committed (the process stopped, an error) leaves no visible trace.
/// </summary>
public sealed class FeatureCachePartWriter : IAsyncDisposable
{
    private readonly string finalPath;
    private readonly string temporaryPath;
    private readonly int featureLength;
    private readonly FileStream stream;
    private readonly HashingWriteStream hashing;
    private readonly ParquetWriter writer;
    private readonly List<FeatureRow> pending = [];
    private bool committed;
    private bool closed;

    private FeatureCachePartWriter(string finalPath, string temporaryPath, int featureLength, FileStream stream, HashingWriteStream hashing, ParquetWriter writer)
    {
        this.hashing = hashing;
        this.finalPath = finalPath;
        this.temporaryPath = temporaryPath;
        this.featureLength = featureLength;
        this.stream = stream;
        this.writer = writer;
    }

    /// <summary>Rows added so far.</summary>
    public int RowCount { get; private set; }

    /// <summary>The path the part gets when committed.</summary>
    public string FinalPath => finalPath;

    /// <summary>Starts a part that will be committed as <paramref name="finalPath"/>.</summary>
    public static async Task<FeatureCachePartWriter> CreateAsync(string finalPath, BackboneIdentity backbone, string toolVersion, CancellationToken cancellationToken = default)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
        Directory.CreateDirectory(folder);
        string temporaryPath = AtomicFile.TemporaryPath(finalPath);
        var stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var hashing = new HashingWriteStream(stream);
        ParquetWriter writer = await ParquetWriter.CreateAsync(FeatureCacheSchema.Schema, hashing, cancellationToken: cancellationToken);
        writer.CustomMetadata = FeatureCacheSchema.Metadata(backbone, toolVersion);
        return new FeatureCachePartWriter(finalPath, temporaryPath, backbone.FeatureLength, stream, hashing, writer);
    }

    /// <summary>Adds a row; a full row group is written out.</summary>
    public async Task AddAsync(FeatureRow row, CancellationToken cancellationToken = default)
    {
        if (row.Features.Length != featureLength)
        {
            throw new FeatureCacheException($"{row.Path}: feature vector has {row.Features.Length} values, the cache holds {featureLength}");
        }

        pending.Add(row);
        RowCount++;
        if (pending.Count >= FeatureCacheSchema.RowGroupRows)
        {
            await FlushRowGroupAsync(cancellationToken);
        }
    }

    /// <summary>Writes what is buffered, closes the file and renames it into place (atomic on one file system).</summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        await FlushRowGroupAsync(cancellationToken);
        // Everything before the footer is written now; the footer, written by DisposeAsync, records its hash.
        writer.CustomMetadata = new Dictionary<string, string>(writer.CustomMetadata)
        {
            [FeatureCacheSchema.DataSha256Key] = hashing.HashSoFar(),
        };
        try
        {
            await writer.DisposeAsync();
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            await CloseAsync();
        }

        File.Move(temporaryPath, finalPath, overwrite: true);
        committed = true;
    }

    /// <summary>Abandons an uncommitted part (also after a failed <see cref="CommitAsync"/>): its temporary file is deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (committed)
        {
            return;
        }

        if (!closed)
        {
            try
            {
                await writer.DisposeAsync();
            }
            finally
            {
                await CloseAsync();
            }
        }

        File.Delete(temporaryPath);
    }

    /// <summary>Closes the file once; the Parquet writer is disposed by the caller (it writes the footer).</summary>
    private async ValueTask CloseAsync()
    {
        if (closed)
        {
            return;
        }

        closed = true;
        await stream.DisposeAsync();
        hashing.Dispose();
    }

    private async Task FlushRowGroupAsync(CancellationToken cancellationToken)
    {
        if (pending.Count == 0)
        {
            return;
        }

        DataField[] fields = FeatureCacheSchema.Schema.GetDataFields();
        using ParquetRowGroupWriter group = writer.CreateRowGroup();
        await group.WriteAsync(fields[0], pending.Select(r => r.Path).ToArray(), null);
        await group.WriteAsync(fields[1], pending.Select(r => r.Label).ToArray(), null);
        await group.WriteAsync(fields[2], pending.Select(r => r.Split).ToArray(), null);
        await group.WriteAsync(fields[3], pending.Select(r => r.Sha256).ToArray(), null);

        int total = pending.Count * featureLength;
        var values = new float[total];
        var repetition = new int[total];
        var definition = new int[total];
        Array.Fill(definition, fields[4].MaxDefinitionLevel);
        for (int i = 0; i < pending.Count; i++)
        {
            pending[i].Features.CopyTo(values, i * featureLength);
            // Repetition level 0 starts a new row's list, 1 continues it.
            Array.Fill(repetition, 1, i * featureLength + 1, featureLength - 1);
        }

        await group.WriteAllPartsAsync<float>(fields[4], values, definition, repetition, cancellationToken);
        pending.Clear();
    }
}
