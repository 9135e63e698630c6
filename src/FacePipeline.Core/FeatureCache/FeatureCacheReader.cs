using System.Globalization;
using System.Runtime.CompilerServices;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.Features;
using Parquet;
using Parquet.Schema;

namespace FacePipeline.FeatureCache;

/// <summary>
/// Reads a feature cache folder: every visible <c>*.parquet</c> part, checked to come from one backbone and face stage. Rows stream
/// one row group at a time.
/// </summary>
public sealed class FeatureCacheReader
{
    private FeatureCacheReader(string folder, IReadOnlyList<FeatureCachePart> parts)
    {
        Folder = folder;
        Parts = parts;
    }

    /// <summary>The cache folder.</summary>
    public string Folder { get; }

    /// <summary>Part files, sorted by name.</summary>
    public IReadOnlyList<FeatureCachePart> Parts { get; }

    /// <summary>Total rows over all parts.</summary>
    public long RowCount => Parts.Sum(p => p.RowCount);

    /// <summary>The backbone identity shared by all parts; null for an empty cache.</summary>
    public FeatureIdentity? Identity => Parts.Count > 0 ? Parts[0].Identity : null;

    /// <summary>Opens the cache and reads each part's metadata (not its rows).</summary>
    /// <param name="folder">Cache folder.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="FacePipelineException">Missing folder, unreadable part, or parts of different feature identities.</exception>
    public static async Task<FeatureCacheReader> OpenAsync(string folder, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            throw new FacePipelineException($"{folder}: feature cache not found; run Extract first");
        }

        List<FeatureCachePart> parts = await ListPartsAsync(folder, null, cancellationToken);
        foreach (FeatureCachePart part in parts)
        {
            if (part.Identity.Compare(parts[0].Identity) is FeatureIdentityMismatch mismatch)
            {
                throw new FacePipelineException(mismatch.Message(
                    part.FilePath, string.Empty, Path.GetFileName(parts[0].FilePath), $"a cache holds one {mismatch.Aspect}'s features (re-run Extract with --rebuild)"));
            }
        }

        return new FeatureCacheReader(folder, parts);
    }

    /// <summary>
    /// Lists the visible part files of <paramref name="folder"/> (only those starting with <paramref name="partPrefix"/>
    /// when given) with their metadata, without checking that they share one backbone.
    /// </summary>
    public static async Task<List<FeatureCachePart>> ListPartsAsync(string folder, string? partPrefix, CancellationToken cancellationToken = default)
    {
        var parts = new List<FeatureCachePart>();
        if (!Directory.Exists(folder))
        {
            return parts;
        }

        foreach (string file in FeatureCacheLayout.VisiblePartFiles(folder))
        {
            if (partPrefix is not null && !Path.GetFileName(file).StartsWith(partPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            parts.Add(await ReadPartAsync(file, cancellationToken));
        }

        return parts;
    }

    /// <summary>Reads every row of every part, features included, one row group at a time.</summary>
    public async IAsyncEnumerable<FeatureRow> ReadRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (FeatureCachePart part in Parts)
        {
            await foreach (FeatureRow row in ReadPartRowsAsync(part, includeFeatures: true, cancellationToken))
            {
                yield return row;
            }
        }
    }

    /// <summary>Reads the rows of one part; without features the feature arrays are empty (cheap: the column is not read).</summary>
    public static async IAsyncEnumerable<FeatureRow> ReadPartRowsAsync(FeatureCachePart part, bool includeFeatures, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (FeatureRowGroup group in ReadPartRowGroupsAsync(part, includeFeatures, cancellationToken))
        {
            for (int i = 0; i < group.RowCount; i++)
            {
                yield return new FeatureRow(group.Paths[i], group.Labels[i], group.Splits[i], group.Sha256[i], group.RowFeatures(i).ToArray(), group.Faces[i]);
            }
        }
    }

    /// <summary>
    /// Reads the row groups of one part in file order, each checked like <see cref="ReadPartRowsAsync"/> (damaged pages,
    /// vectors of the wrong length, non-finite features). Only one group's data is held at a time.
    /// </summary>
    public static async IAsyncEnumerable<FeatureRowGroup> ReadPartRowGroupsAsync(FeatureCachePart part, bool includeFeatures, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(part);
        using FileStream stream = File.OpenRead(part.FilePath);
        await using ParquetReader reader = await OpenParquetAsync(stream, part.FilePath, cancellationToken);
        long firstRow = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            FeatureRowGroup group = await ReadGroupAsync(reader, part, g, firstRow, includeFeatures, cancellationToken);
            firstRow += group.RowCount;
            yield return group;
        }
    }

    /// <summary>Reads row group <paramref name="groupIndex"/> of one part (the streaming trainer visits groups in any order).</summary>
    /// <exception cref="FacePipelineException">Damaged data, a missing key, vectors of the wrong length or a non-finite feature.</exception>
    public static async Task<FeatureRowGroup> ReadRowGroupAsync(FeatureCachePart part, int groupIndex, bool includeFeatures, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(part);
        using FileStream stream = File.OpenRead(part.FilePath);
        await using ParquetReader reader = await OpenParquetAsync(stream, part.FilePath, cancellationToken);
        if (groupIndex < 0 || groupIndex >= reader.RowGroupCount)
        {
            throw new FacePipelineException($"{part.FilePath}: has {reader.RowGroupCount} row groups, not {groupIndex + 1}; the part changed while reading it, re-run the command");
        }

        long firstRow = 0;
        for (int g = 0; g < groupIndex; g++)
        {
            using ParquetRowGroupReader before = reader.OpenRowGroupReader(g);
            firstRow += before.RowCount;
        }

        return await ReadGroupAsync(reader, part, groupIndex, firstRow, includeFeatures, cancellationToken);
    }

    /// <summary>
    /// Reads the features of row group <paramref name="groupIndex"/> of one part in slices of at most
    /// <paramref name="rowsPerSlice"/> rows, each checked for finite values. A group of no more rows is read whole through
    /// Parquet.Net (<see cref="RowGroupReadBytes"/>); a larger one page by page (<see cref="FeaturePageBytesAsync"/> plus
    /// the slice), so a group written by DuckDB or Spark never has to fit in memory. The slice's array is reused: copy
    /// the rows out before taking the next slice.
    /// </summary>
    /// <exception cref="FacePipelineException">Damaged data, vectors of the wrong length or a non-finite feature.</exception>
    internal static IEnumerable<FeatureSlice> ReadFeatureSlices(FeatureCachePart part, int groupIndex, int rowsPerSlice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(part);
        int rows = part.RowGroupRows[groupIndex];
        int featureLength = part.Identity.FeatureLength;
        if (rows <= rowsPerSlice)
        {
            FeatureRowGroup group = Task.Run(() => ReadRowGroupAsync(part, groupIndex, includeFeatures: true, cancellationToken), cancellationToken).GetAwaiter().GetResult();
            yield return new FeatureSlice(0, group.RowCount, group.Features);
            yield break;
        }

        (Parquet.Meta.ColumnChunk chunk, DataField field) = Task.Run(() => FeatureChunkAsync(part, groupIndex, cancellationToken), cancellationToken).GetAwaiter().GetResult();
        using var pages = new FeaturePageReader(part.FilePath, chunk, field.MaxRepetitionLevel, field.MaxDefinitionLevel);
        var slice = new float[(long)rowsPerSlice * featureLength];
        using IEnumerator<int> read = pages.ReadRows(rows, featureLength, slice).GetEnumerator();
        int first = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = 0;
            try
            {
                count = read.MoveNext() ? read.Current : 0;
            }
            catch (Exception error) when (error is not (FacePipelineException or OperationCanceledException or OutOfMemoryException))
            {
                throw new FacePipelineException($"{part.FilePath}: damaged Parquet data in row group {groupIndex} ({error.Message.TrimEnd('.')}); delete the part and re-write it", error);
            }

            if (count == 0)
            {
                yield break;
            }

            CheckFinite(slice.AsSpan(0, count * featureLength), featureLength, part.RowGroupRows.Take(groupIndex).Sum(r => (long)r) + first, part.FilePath);
            yield return new FeatureSlice(first, count, slice);
            first += count;
        }
    }

    /// <summary>
    /// Bytes reading the features of row group <paramref name="groupIndex"/> page by page holds besides its slice: the
    /// largest page compressed and decompressed, and a dictionary. Reads only page headers.
    /// </summary>
    internal static async Task<long> FeaturePageBytesAsync(FeatureCachePart part, int groupIndex, CancellationToken cancellationToken)
    {
        (Parquet.Meta.ColumnChunk chunk, _) = await FeatureChunkAsync(part, groupIndex, cancellationToken);
        try
        {
            return FeaturePageReader.PeakBytes(part.FilePath, chunk);
        }
        catch (Exception error) when (error is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new FacePipelineException($"{part.FilePath}: damaged Parquet page headers in row group {groupIndex} ({error.Message.TrimEnd('.')}); delete the part and re-write it", error);
        }
    }

    /// <summary>The feature column chunk of one row group and its schema field (levels).</summary>
    private static async Task<(Parquet.Meta.ColumnChunk Chunk, DataField Field)> FeatureChunkAsync(FeatureCachePart part, int groupIndex, CancellationToken cancellationToken)
    {
        using FileStream stream = File.OpenRead(part.FilePath);
        await using ParquetReader reader = await OpenParquetAsync(stream, part.FilePath, cancellationToken);
        DataField field = reader.Schema.GetDataFields().FirstOrDefault(f => f.Path.ToString().StartsWith(FeatureCacheSchema.FeaturesColumn, StringComparison.Ordinal))
            ?? throw new FacePipelineException($"{part.FilePath}: column '{FeatureCacheSchema.FeaturesColumn}' missing");
        if (groupIndex >= reader.RowGroupCount)
        {
            throw new FacePipelineException($"{part.FilePath}: has {reader.RowGroupCount} row groups, not {groupIndex + 1}; the part changed while reading it, re-run the command");
        }

        using ParquetRowGroupReader group = reader.OpenRowGroupReader(groupIndex);
        return (group.GetMetadata(field) ?? throw new FacePipelineException($"{part.FilePath}: row group {groupIndex} has no feature column chunk; delete the part and re-write it"), field);
    }

    /// <summary>
    /// Bytes one row-group read of <paramref name="rows"/> × <paramref name="featureLength"/> floats holds at its peak:
    /// the float block it returns, the definition and repetition levels Parquet.Net decodes beside it (one int per
    /// value each), and the compressed and decoded page buffers of the column chunk (about one block each).
    /// </summary>
    public static long RowGroupReadBytes(long rows, int featureLength) => 5 * rows * featureLength * sizeof(float);

    private static async Task<FeatureRowGroup> ReadGroupAsync(
        ParquetReader reader, FeatureCachePart part, int g, long firstRow, bool includeFeatures, CancellationToken cancellationToken)
    {
        DataField[] fields = reader.Schema.GetDataFields();
        DataField Field(string name) => fields.FirstOrDefault(f => f.Path.ToString().StartsWith(name, StringComparison.Ordinal))
            ?? throw new FacePipelineException($"{part.FilePath}: column '{name}' missing");

        using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
        int rows = checked((int)group.RowCount);
        var paths = new string?[rows];
        var labels = new string?[rows];
        var splits = new string?[rows];
        var hashes = new string?[rows];
        await ReadColumnAsync(part.FilePath, async () => await group.ReadAsync(Field(FeatureCacheSchema.PathColumn), paths.AsMemory(), null, cancellationToken));
        await ReadColumnAsync(part.FilePath, async () => await group.ReadAsync(Field(FeatureCacheSchema.LabelColumn), labels.AsMemory(), null, cancellationToken));
        await ReadColumnAsync(part.FilePath, async () => await group.ReadAsync(Field(FeatureCacheSchema.SplitColumn), splits.AsMemory(), null, cancellationToken));
        await ReadColumnAsync(part.FilePath, async () => await group.ReadAsync(Field(FeatureCacheSchema.Sha256Column), hashes.AsMemory(), null, cancellationToken));
        for (int i = 0; i < rows; i++)
        {
            if (paths[i] is null || labels[i] is null || hashes[i] is null)
            {
                throw new FacePipelineException($"{part.FilePath}: row {firstRow + i} has no {(paths[i] is null ? "path" : labels[i] is null ? "label" : "sha256")}; delete the part and re-run Extract");
            }

            // Caches written before labels were normalised may hold NFD labels: they read as the NFC person.
            labels[i] = LabelRules.Normalize(labels[i]!);
            if (LabelRules.Problem(labels[i]!) is string problem)
            {
                throw new FacePipelineException($"{part.FilePath}: row {firstRow + i}: {problem}; rename the person and re-run Extract into a new --out");
            }
        }

        var faces = new DetectedFace?[rows];
        if (fields.Any(f => f.Path.ToString() == FeatureCacheSchema.FaceScoreColumn))
        {
            // Format version 2; version-1 parts have no face columns and hold whole images.
            await ReadColumnAsync(part.FilePath, async () => faces = await ReadFacesAsync(group, fields, rows, part.FilePath, cancellationToken));
        }

        float[] values = includeFeatures ? await ReadFeaturesAsync(group, Field, part, rows, firstRow, paths, cancellationToken) : [];
        return new FeatureRowGroup(part, g, firstRow, paths!, labels!, splits, hashes!, values, faces);
    }

    /// <summary>Most landmark values one row may hold (x,y pairs; detectors give 10 or 12).</summary>
    private const int MaxLandmarkValues = 64;

    /// <summary>The face columns of a row group: null where the row holds a whole image (no score).</summary>
    private static async Task<DetectedFace?[]> ReadFacesAsync(ParquetRowGroupReader group, DataField[] fields, int rows, string file, CancellationToken cancellationToken)
    {
        DataField Field(string name) => fields.First(f => f.Path.ToString().StartsWith(name, StringComparison.Ordinal));
        async Task<float?[]> Read(string name)
        {
            var column = new float?[rows];
            await group.ReadAsync(Field(name), column.AsMemory(), null, cancellationToken);
            return column;
        }

        float?[] x = await Read(FeatureCacheSchema.FaceXColumn);
        float?[] y = await Read(FeatureCacheSchema.FaceYColumn);
        float?[] w = await Read(FeatureCacheSchema.FaceWidthColumn);
        float?[] h = await Read(FeatureCacheSchema.FaceHeightColumn);
        float?[] score = await Read(FeatureCacheSchema.FaceScoreColumn);
        DataField landmarkField = Field(FeatureCacheSchema.FaceLandmarksColumn);
        List<float>?[] landmarks = await ReadLandmarksAsync(group, landmarkField, rows, file, cancellationToken);
        var faces = new DetectedFace?[rows];
        for (int i = 0; i < rows; i++)
        {
            if (score[i] is float s && x[i] is float fx && y[i] is float fy && w[i] is float fw && h[i] is float fh)
            {
                faces[i] = DetectedFace.FromPoints(new FaceBox(fx, fy, fw, fh), s, (IReadOnlyList<float>?)landmarks[i] ?? []);
            }
        }

        return faces;
    }

    /// <summary>The feature block of a row group (rows × length floats), checked for row starts and finite values.</summary>
    private static async Task<float[]> ReadFeaturesAsync(
        ParquetRowGroupReader group, Func<string, DataField> field, FeatureCachePart part, int rows, long firstRow, string?[] paths, CancellationToken cancellationToken)
    {
        int featureLength = part.Identity.FeatureLength;
        int total = checked(rows * featureLength);
        var values = new float[total];
        // Fresh, not pooled: the shared pool keeps arrays per thread, and reads continue on many pool threads.
        var definition = new int[total];
        var repetition = new int[total];
        await ReadColumnAsync(part.FilePath, async () =>
        {
            try
            {
                await group.ReadRawAsync(field(FeatureCacheSchema.FeaturesColumn), values.AsMemory(), definition.AsMemory(), repetition.AsMemory(), cancellationToken);
            }
            catch (ArgumentException error)
            {
                // More values than rows × length: Parquet.Net refuses to overflow the buffers.
                throw new FacePipelineException(InconsistentLength(part.FilePath, featureLength), error);
            }
        });

        CheckRowStarts(repetition, rows, featureLength, part.FilePath);
        CheckFinite(values, featureLength, firstRow, paths, part.FilePath);
        return values;
    }

    /// <summary>The landmark lists of a row group: null where a row holds none.</summary>
    private static async Task<List<float>?[]> ReadLandmarksAsync(ParquetRowGroupReader group, DataField landmarkField, int rows, string file, CancellationToken cancellationToken)
    {
        var landmarks = new List<float>?[rows];
        // Values come back dense (present ones only); levels beyond the column's entries keep the -1 sentinel.
        int capacity = rows * (MaxLandmarkValues + 1);
        var values = new float[capacity];
        var definition = new int[capacity];
        var repetition = new int[capacity];
        Array.Fill(definition, -1);
        Array.Fill(repetition, -1);
        try
        {
            await group.ReadRawAsync(landmarkField, values.AsMemory(), definition.AsMemory(), repetition.AsMemory(), cancellationToken);
        }
        catch (ArgumentException error)
        {
            throw new FacePipelineException($"{file}: damaged face landmarks (more than {MaxLandmarkValues} values in a row); delete the part and re-run Extract", error);
        }

        int row = -1;
        int next = 0;
        for (int k = 0; k < capacity && definition[k] >= 0; k++)
        {
            if (repetition[k] == 0)
            {
                row++;
                if (row >= rows)
                {
                    throw new FacePipelineException($"{file}: damaged face landmarks (more lists than rows); delete the part and re-run Extract");
                }

                landmarks[row] = definition[k] == 0 ? null : [];
            }

            if (definition[k] == landmarkField.MaxDefinitionLevel && row >= 0)
            {
                landmarks[row]!.Add(values[next++]);
            }
        }

        return landmarks;
    }

    /// <summary>
    /// Runs one column read. Whatever Parquet.Net or its decompressors throw on damaged pages (a flipped bit gives
    /// Thrift, Snappy or range errors of many types) is that part's problem and becomes one line naming it.
    /// </summary>
    private static async Task ReadColumnAsync(string file, Func<Task> read)
    {
        try
        {
            await read();
        }
        catch (Exception error) when (error is not (FacePipelineException or OperationCanceledException or OutOfMemoryException))
        {
            throw new FacePipelineException($"{file}: damaged Parquet data ({error.Message.TrimEnd('.')}); delete the part and re-run Extract", error);
        }
    }

    /// <summary>Features must be finite: a NaN or infinity would train a head to NaN and score nonsense.</summary>
    private static void CheckFinite(float[] values, int featureLength, long firstRow, string?[] paths, string file)
    {
        for (int k = 0; k < values.Length; k++)
        {
            if (!float.IsFinite(values[k]))
            {
                int row = k / featureLength;
                throw new FacePipelineException(string.Create(CultureInfo.InvariantCulture,
                    $"{file}: row {firstRow + row} ({paths[row]}) holds a non-finite feature ({values[k]} at index {k % featureLength}); delete the part and re-run Extract"));
            }
        }
    }

    /// <summary>Features read in slices must be finite too; the slice knows row numbers, not paths.</summary>
    private static void CheckFinite(ReadOnlySpan<float> values, int featureLength, long firstRow, string file)
    {
        int k = values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (k >= 0)
        {
            throw new FacePipelineException(string.Create(CultureInfo.InvariantCulture,
                $"{file}: row {firstRow + (k / featureLength)} holds a non-finite feature ({values[k]} at index {k % featureLength}); delete the part and re-write it"));
        }
    }

    /// <summary>Reads one part's metadata (identity, row count), not its rows.</summary>
    /// <exception cref="FacePipelineException">The part cannot be read.</exception>
    public static async Task<FeatureCachePart> ReadPartAsync(string file, CancellationToken cancellationToken = default)
    {
        using FileStream stream = File.OpenRead(file);
        await using ParquetReader reader = await OpenParquetAsync(stream, file, cancellationToken);
        FeatureIdentity identity = FeatureCacheSchema.ReadIdentity(reader.CustomMetadata, file);
        var groupRows = new int[reader.RowGroupCount];
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            groupRows[g] = checked((int)group.RowCount);
        }

        return new FeatureCachePart(file, identity, groupRows.Sum(r => (long)r)) { RowGroupRows = groupRows };
    }

    private static async Task<ParquetReader> OpenParquetAsync(Stream stream, string file, CancellationToken cancellationToken)
    {
        try
        {
            return await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        }
        catch (Exception error) when (error is not (OperationCanceledException or OutOfMemoryException))
        {
            // A damaged footer throws Thrift, range or format errors of many types: all of them are this file's problem.
            throw new FacePipelineException($"{file}: not a readable Parquet file ({error.Message}); delete it or re-run Extract with --rebuild", error);
        }
    }

    /// <summary>Every row must hold exactly one feature vector of the cache's length.</summary>
    private static void CheckRowStarts(int[] repetition, int rows, int featureLength, string file)
    {
        for (int i = 0; i < rows; i++)
        {
            int start = i * featureLength;
            if (repetition[start] != 0 || (featureLength > 1 && repetition[start + featureLength - 1] != 1))
            {
                throw new FacePipelineException(InconsistentLength(file, featureLength));
            }
        }
    }

    private static string InconsistentLength(string file, int featureLength) =>
        $"{file}: feature vectors of inconsistent length (expected {featureLength} per row); re-run Extract with --rebuild";
}
