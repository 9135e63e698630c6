using FacePipeline.Features;
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

    /// <summary>Starts a part that will be committed as <paramref name="finalPath"/>.</summary>
    public static async Task<FeatureCachePartWriter> CreateAsync(string finalPath, FeatureIdentity features, string toolVersion, CancellationToken cancellationToken = default)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
        Directory.CreateDirectory(folder);
        string temporaryPath = AtomicFile.TemporaryPath(finalPath);
        var stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var hashing = new HashingWriteStream(stream);
        ParquetWriter writer = await ParquetWriter.CreateAsync(FeatureCacheSchema.Schema, hashing, cancellationToken: cancellationToken);
        writer.CustomMetadata = FeatureCacheSchema.Metadata(features, toolVersion);
        return new FeatureCachePartWriter(finalPath, temporaryPath, features.FeatureLength, stream, hashing, writer);
    }

    /// <summary>Adds a row; a full row group is written out.</summary>
    public async Task AddAsync(FeatureRow row, CancellationToken cancellationToken = default)
    {
        if (row.Features.Length != featureLength)
        {
            throw new FacePipelineException($"{row.Path}: feature vector has {row.Features.Length} values, the cache holds {featureLength}");
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

    /// <summary>
    /// The nullable landmark lists: values dense (only present ones), one level entry per value and one per null or
    /// empty list; definition 0 = no list (whole image), 1 = empty list, max = a value; repetition 0 starts a row.
    /// </summary>
    private async Task WriteLandmarksAsync(ParquetRowGroupWriter group, DataField field, CancellationToken cancellationToken)
    {
        var values = new List<float>();
        var definition = new List<int>();
        var repetition = new List<int>();
        foreach (FeatureRow row in pending)
        {
            float[]? points = row.Face?.LandmarkValues;
            if (points is null || points.Length == 0)
            {
                definition.Add(points is null ? 0 : field.MaxDefinitionLevel - 1);
                repetition.Add(0);
                continue;
            }

            for (int k = 0; k < points.Length; k++)
            {
                values.Add(points[k]);
                definition.Add(field.MaxDefinitionLevel);
                repetition.Add(k == 0 ? 0 : 1);
            }
        }

        await group.WriteAllPartsAsync<float>(field, values.ToArray(), definition.ToArray(), repetition.ToArray(), cancellationToken);
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
        await group.WriteAsync<float>(fields[5], new ReadOnlyMemory<float?>(pending.Select(r => r.Face?.Box.X).ToArray()), null, null, cancellationToken);
        await group.WriteAsync<float>(fields[6], new ReadOnlyMemory<float?>(pending.Select(r => r.Face?.Box.Y).ToArray()), null, null, cancellationToken);
        await group.WriteAsync<float>(fields[7], new ReadOnlyMemory<float?>(pending.Select(r => r.Face?.Box.Width).ToArray()), null, null, cancellationToken);
        await group.WriteAsync<float>(fields[8], new ReadOnlyMemory<float?>(pending.Select(r => r.Face?.Box.Height).ToArray()), null, null, cancellationToken);
        await WriteLandmarksAsync(group, fields[9], cancellationToken);
        await group.WriteAsync<float>(fields[10], new ReadOnlyMemory<float?>(pending.Select(r => r.Face?.Score).ToArray()), null, null, cancellationToken);
        pending.Clear();
    }
}
