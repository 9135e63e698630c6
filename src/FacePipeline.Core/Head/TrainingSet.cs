using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Features;

namespace FacePipeline.Head;

/// <summary>
/// The rows a head learns from: rows whose split is empty, <c>train</c> or <c>val</c>; <c>test</c> rows are never
/// read and add no labels. Either held in memory as one float32 matrix, or streamed: then only the keys (class and
/// split of each row and where it lies in the cache) are held and <see cref="HeadTrainer"/> reads the features row
/// group by row group.
/// </summary>
public sealed class TrainingSet
{
    private TrainingSet(
        float[] features, int featureLength, int[] classes, IReadOnlyList<string> labels, bool[] markedValidation, FeatureIdentity identity, int testRowsSkipped,
        IReadOnlyList<TrainingRowGroup> rowGroups, long streamingBudgetBytes, ReadPlan plan)
    {
        Features = features;
        FeatureLength = featureLength;
        Classes = classes;
        Labels = labels;
        MarkedValidation = markedValidation;
        Identity = identity;
        TestRowsSkipped = testRowsSkipped;
        RowGroups = rowGroups;
        StreamingBudgetBytes = streamingBudgetBytes;
        RowsPerRead = plan.RowsPerRead;
        ReadBytes = plan.ReadBytes;
        FixedBytes = plan.FixedBytes;
    }

    /// <summary>Row-major features, <see cref="Count"/> × <see cref="FeatureLength"/>; empty when <see cref="IsStreamed"/>.</summary>
    public float[] Features { get; }

    /// <summary>Floats per row.</summary>
    public int FeatureLength { get; }

    /// <summary>Class index of each row (into <see cref="Labels"/>).</summary>
    public int[] Classes { get; }

    /// <summary>Labels in class-index order (natural sort: s2 before s10).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Whether each row's split is <c>val</c>.</summary>
    public bool[] MarkedValidation { get; }

    /// <summary>The backbone that made the features.</summary>
    public FeatureIdentity Identity { get; }

    /// <summary>Rows left out because their split is <c>test</c>.</summary>
    public int TestRowsSkipped { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Classes.Length;

    /// <summary>Whether the features stay in the cache and are streamed while training.</summary>
    public bool IsStreamed => StreamingBudgetBytes > 0;

    /// <summary>The memory budget streaming must keep to (0 when in memory).</summary>
    public long StreamingBudgetBytes { get; }

    /// <summary>Where the rows lie in the cache, group by group in file order (empty for a set built from arrays).</summary>
    internal IReadOnlyList<TrainingRowGroup> RowGroups { get; }

    /// <summary>
    /// What the process takes besides the rows (<see cref="TrainingMemory.ProcessFixedBytes"/>), taken from the budget
    /// before the rows; 0 when the budget was for the rows alone.
    /// </summary>
    public long FixedBytes { get; }

    /// <summary>Most rows one read of the cache returns: a whole row group, or a slice of a larger one read page by page.</summary>
    internal int RowsPerRead { get; }

    /// <summary>Bytes one read holds at its peak (see <see cref="FeatureCacheReader.ReadFeatureSlices"/>).</summary>
    internal long ReadBytes { get; }

    /// <summary>Whether row groups larger than <see cref="RowsPerRead"/> are read page by page.</summary>
    public bool ReadsInSlices => RowsPerRead < LargestRowGroup;

    /// <summary>Row groups the rows lie in (0 for a set built from arrays).</summary>
    public int RowGroupCount => RowGroups.Count;

    /// <summary>Rows of the largest row group (what one read holds).</summary>
    internal int LargestRowGroup => RowGroups.Count == 0 ? 0 : RowGroups.Max(g => g.RowOfGroupRow.Length);

    /// <summary>Bytes the feature matrix takes: rows × features × 4.</summary>
    public static long MatrixBytes(long rows, int featureLength) => rows * featureLength * sizeof(float);

    /// <summary>Loads the training rows of the cache at <paramref name="cacheFolder"/> into memory, within the default memory budget.</summary>
    /// <exception cref="FacePipelineException">Missing, empty or inconsistent cache.</exception>
    /// <exception cref="FacePipelineException">The rows would not fit the budget, or there are fewer than two classes.</exception>
    public static Task<TrainingSet> LoadAsync(string cacheFolder, CancellationToken cancellationToken = default) =>
        LoadAsync(cacheFolder, StreamingMode.Never, TrainingMemory.DefaultBudgetBytes(), cancellationToken);

    /// <summary>
    /// Reads the keys of the cache at <paramref name="cacheFolder"/> (cheap: the feature column is not read), then
    /// either loads the training rows' features into memory or leaves them in the cache for streaming.
    /// </summary>
    /// <param name="cacheFolder">The cache.</param>
    /// <param name="mode">When to stream.</param>
    /// <param name="budgetBytes">The memory budget of the rows alone (see <see cref="TrainingMemory"/>).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="FacePipelineException">Missing, empty or inconsistent cache.</exception>
    /// <exception cref="FacePipelineException">In memory without streaming and over the budget, a budget that does not hold the fixed part and one read, or fewer than two classes.</exception>
    public static Task<TrainingSet> LoadAsync(string cacheFolder, StreamingMode mode, long budgetBytes, CancellationToken cancellationToken = default) =>
        LoadAsync(cacheFolder, mode, budgetBytes, null, cancellationToken);

    /// <summary>
    /// Like <see cref="LoadAsync(string, StreamingMode, long, CancellationToken)"/>, with a budget of the whole process:
    /// <paramref name="fixedBytes"/> (feature length, classes) is taken from it first, and a budget that does not
    /// hold that and one read is refused before any features are read.
    /// </summary>
    /// <param name="cacheFolder">The cache.</param>
    /// <param name="mode">When to stream.</param>
    /// <param name="budgetBytes">The memory budget.</param>
    /// <param name="fixedBytes">What the process takes besides the rows; null when <paramref name="budgetBytes"/> is for the rows alone.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="FacePipelineException">Missing, empty or inconsistent cache.</exception>
    /// <exception cref="FacePipelineException">Over the budget in memory without streaming, a budget below the fixed part and one read, or fewer than two classes.</exception>
    public static async Task<TrainingSet> LoadAsync(
        string cacheFolder, StreamingMode mode, long budgetBytes, Func<int, int, long>? fixedBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budgetBytes, 1);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cacheFolder, cancellationToken: cancellationToken);
        FeatureIdentity identity = reader.Identity ?? throw new FacePipelineException($"{cacheFolder}: the cache holds no rows; run Extract first");
        int featureLength = identity.FeatureLength;
        (List<TrainingRowGroup> groups, List<string> labelOfRow, List<bool> validation, int testSkipped) = await ReadRowKeysAsync(reader, cacheFolder, cancellationToken);
        string[] labels = labelOfRow.Distinct().Order(NaturalStringComparer.Instance).ToArray();
        if (labels.Length < 2)
        {
            throw new FacePipelineException($"{cacheFolder}: training rows hold {labels.Length} label(s); a classifier needs at least 2 people");
        }

        Dictionary<string, int> index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
        int[] classes = labelOfRow.Select(l => index[l]).ToArray();
        int rows = classes.Length;
        long fixedPart = fixedBytes?.Invoke(featureLength, labels.Length) ?? 0;
        long rowsBudget = budgetBytes - fixedPart;
        ReadPlan plan = await PlanReadsAsync(groups, featureLength, rowsBudget, cancellationToken) with { FixedBytes = fixedPart };
        EnsureFixedPartFits(cacheFolder, featureLength, labels.Length, budgetBytes, plan);
        long inMemory = TrainingMemory.InMemoryBytes(rows, featureLength, plan.ReadBytes);
        long values = (long)rows * featureLength;
        bool fits = inMemory <= rowsBudget && values <= Array.MaxLength;
        if (mode == StreamingMode.Always || (mode == StreamingMode.Auto && !fits))
        {
            return new TrainingSet([], featureLength, classes, labels, validation.ToArray(), identity, testSkipped, groups, rowsBudget, plan);
        }

        EnsureFitsInMemory(cacheFolder, rows, featureLength, inMemory, rowsBudget);
        float[] features = LoadFeatures(groups, rows, featureLength, plan.RowsPerRead, cancellationToken);
        return new TrainingSet(features, featureLength, classes, labels, validation.ToArray(), identity, testSkipped, [], 0, plan);
    }

    /// <summary>
    /// How the cache is read within <paramref name="rowsBudget"/>: whole row groups through Parquet.Net while one read
    /// (<see cref="FeatureCacheReader.RowGroupReadBytes"/>, about five times the group's floats) takes at most a quarter
    /// of it, as fast as before; else slices of a sixteenth of it, read page by page.
    /// </summary>
    private static async Task<ReadPlan> PlanReadsAsync(List<TrainingRowGroup> groups, int featureLength, long rowsBudget, CancellationToken cancellationToken)
    {
        int largest = groups.Max(g => g.RowOfGroupRow.Length);
        long whole = FeatureCacheReader.RowGroupReadBytes(largest, featureLength);
        if (whole <= rowsBudget / 4)
        {
            return new ReadPlan(largest, whole, 0);
        }

        int sliceRows = (int)Math.Clamp(rowsBudget / 16 / MatrixBytes(1, featureLength), 1, largest);
        long pages = 0;
        foreach (TrainingRowGroup group in groups.Where(g => g.RowOfGroupRow.Length > sliceRows))
        {
            pages = Math.Max(pages, await FeatureCacheReader.FeaturePageBytesAsync(group.Part, group.Index, cancellationToken));
        }

        return new ReadPlan(sliceRows, Math.Max(pages + MatrixBytes(sliceRows, featureLength), FeatureCacheReader.RowGroupReadBytes(sliceRows, featureLength)), 0);
    }

    /// <summary>Refuses at the start when the budget does not hold the fixed part of the process, one read and one validation chunk.</summary>
    private static void EnsureFixedPartFits(string cacheFolder, int featureLength, int classes, long budgetBytes, ReadPlan plan)
    {
        long rowsNeed = plan.ReadBytes + MatrixBytes(TrainingMemory.ValidationChunkRows, featureLength);
        if (budgetBytes >= plan.FixedBytes + rowsNeed)
        {
            return;
        }

        string fixedPart = plan.FixedBytes == 0
            ? string.Empty
            : $"{TrainingMemory.Mib(plan.FixedBytes)} fixed (runtime, libtorch, the head's state and any --unknowns faces) and ";
        throw new FacePipelineException(
            $"{cacheFolder}: memory budget {TrainingMemory.Mib(budgetBytes)} is below what training on {featureLength} features and {classes} labels needs: {fixedPart}"
            + $"{TrainingMemory.Mib(rowsNeed)} for one read and a validation chunk; raise --memory-budget to at least {TrainingMemory.Mib(plan.FixedBytes + (2 * rowsNeed) + MatrixBytes(64, featureLength))}");
    }

    /// <summary>Builds a set from memory (tests and benchmarks).</summary>
    public static TrainingSet FromArrays(float[] features, int featureLength, IReadOnlyList<string> labelOfRow, FeatureIdentity identity, IReadOnlyList<bool>? markedValidation = null)
    {
        ArgumentNullException.ThrowIfNull(labelOfRow);
        string[] labels = labelOfRow.Distinct().Order(NaturalStringComparer.Instance).ToArray();
        Dictionary<string, int> index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
        return new TrainingSet(
            features, featureLength, labelOfRow.Select(l => index[l]).ToArray(), labels, markedValidation?.ToArray() ?? new bool[labelOfRow.Count], identity, 0, [], 0, new ReadPlan(0, 0, 0));
    }

    /// <summary>Reads the keys of every non-test row (label, validation mark, place in the cache), without features.</summary>
    private static async Task<(List<TrainingRowGroup> Groups, List<string> LabelOfRow, List<bool> Validation, int TestSkipped)> ReadRowKeysAsync(
        FeatureCacheReader reader, string cacheFolder, CancellationToken cancellationToken)
    {
        var groups = new List<TrainingRowGroup>();
        var labelOfRow = new List<string>();
        var validation = new List<bool>();
        int testSkipped = 0;
        foreach (FeatureCachePart part in reader.Parts)
        {
            await foreach (FeatureRowGroup group in FeatureCacheReader.ReadPartRowGroupsAsync(part, includeFeatures: false, cancellationToken))
            {
                var rowOf = new int[group.RowCount];
                for (int i = 0; i < group.RowCount; i++)
                {
                    if (!DatasetSplit.TryParse(group.Splits[i], out SplitKind split))
                    {
                        throw new FacePipelineException($"{cacheFolder}: row '{group.Paths[i]}' has split '{group.Splits[i]}'; use train, val, test or leave it empty");
                    }

                    if (split == SplitKind.Test)
                    {
                        testSkipped++;
                        rowOf[i] = -1;
                        continue;
                    }

                    rowOf[i] = labelOfRow.Count;
                    labelOfRow.Add(group.Labels[i]);
                    validation.Add(split == SplitKind.Val);
                }

                groups.Add(new TrainingRowGroup(part, group.Index, rowOf));
            }
        }

        return (groups, labelOfRow, validation, testSkipped);
    }

    /// <summary>Throws when the rows held in memory would exceed the budget or one float32 array.</summary>
    private static void EnsureFitsInMemory(string cacheFolder, int rows, int featureLength, long inMemory, long budgetBytes)
    {
        long values = (long)rows * featureLength;
        if (inMemory > budgetBytes)
        {
            throw new FacePipelineException(
                $"{cacheFolder}: {rows} rows × {featureLength} features need {TrainingMemory.Mib(inMemory)} in memory (the {TrainingMemory.Mib(MatrixBytes(rows, featureLength))} float32 matrix plus one read), "
                + $"more than the memory budget of {TrainingMemory.Mib(budgetBytes)}; stream them (--streaming auto or always) or raise --memory-budget");
        }

        if (values > Array.MaxLength)
        {
            throw new FacePipelineException(
                $"{cacheFolder}: {rows} rows × {featureLength} features are {values} values, more than one float32 array holds ({Array.MaxLength}); "
                + "stream them (--streaming auto or always)");
        }
    }

    /// <summary>Reads every group's training rows straight into one exactly sized matrix: no resize, no per-row arrays.</summary>
    private static float[] LoadFeatures(List<TrainingRowGroup> groups, int rows, int featureLength, int rowsPerRead, CancellationToken cancellationToken)
    {
        var features = new float[(long)rows * featureLength];
        foreach (TrainingRowGroup group in groups)
        {
            foreach (FeatureSlice slice in group.ReadSlices(rowsPerRead, cancellationToken))
            {
                for (int i = 0; i < slice.RowCount; i++)
                {
                    int row = group.RowOfGroupRow[slice.FirstRow + i];
                    if (row >= 0)
                    {
                        slice.Row(i, featureLength).CopyTo(features.AsSpan(row * featureLength, featureLength));
                    }
                }
            }
        }

        ReadGarbage.CollectIfDue();
        return features;
    }

    /// <summary>How the cache is read: rows per read, the bytes of one read, and the process's fixed part.</summary>
    private sealed record ReadPlan(int RowsPerRead, long ReadBytes, long FixedBytes);
}
