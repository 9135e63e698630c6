using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;

namespace FacePipeline.Head;

/// <summary>
/// The rows a head learns from, loaded once from a feature cache into one float32 matrix: rows whose split is empty,
/// <c>train</c> or <c>val</c>; <c>test</c> rows are never read into it and add no labels.
/// </summary>
public sealed class TrainingSet
{
    private TrainingSet(float[] features, int featureLength, int[] classes, IReadOnlyList<string> labels, bool[] markedValidation, BackboneIdentity identity, int testRowsSkipped)
    {
        Features = features;
        FeatureLength = featureLength;
        Classes = classes;
        Labels = labels;
        MarkedValidation = markedValidation;
        Identity = identity;
        TestRowsSkipped = testRowsSkipped;
    }

    /// <summary>Row-major features, <see cref="Count"/> × <see cref="FeatureLength"/>.</summary>
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
    public BackboneIdentity Identity { get; }

    /// <summary>Rows left out because their split is <c>test</c>.</summary>
    public int TestRowsSkipped { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Classes.Length;

    /// <summary>Bytes the feature matrix takes: rows × features × 4.</summary>
    public static long MatrixBytes(long rows, int featureLength) => rows * featureLength * sizeof(float);

    /// <summary>Loads the training rows of the cache at <paramref name="cacheFolder"/>.</summary>
    /// <exception cref="FeatureCacheException">Missing, empty or inconsistent cache.</exception>
    /// <exception cref="HeadException">The matrix would not fit in memory, or there are fewer than two classes.</exception>
    public static async Task<TrainingSet> LoadAsync(string cacheFolder, CancellationToken cancellationToken = default)
    {
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cacheFolder, cancellationToken: cancellationToken);
        BackboneIdentity identity = reader.Identity ?? throw new FeatureCacheException($"{cacheFolder}: the cache holds no rows; run Extract first");
        int featureLength = identity.FeatureLength;
        long bytes = MatrixBytes(reader.RowCount, featureLength);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available * 0.8)
        {
            throw new HeadException(
                $"{cacheFolder}: {reader.RowCount} rows × {featureLength} features need {bytes / (1 << 20)} MiB as float32, more than 80 % of the {available / (1 << 20)} MiB available; "
                + "train on a smaller manifest or a machine with more memory");
        }

        long values = reader.RowCount * featureLength;
        if (values > Array.MaxLength)
        {
            throw new HeadException(
                $"{cacheFolder}: {reader.RowCount} rows × {featureLength} features are {values} values, more than one float32 array holds ({Array.MaxLength}); "
                + "train on a smaller manifest");
        }

        var features = new float[values];
        var labelOfRow = new List<string>();
        var validation = new List<bool>();
        int testSkipped = 0;
        int row = 0;
        await foreach (FeatureRow cached in reader.ReadRowsAsync(cancellationToken))
        {
            if (!DatasetSplit.TryParse(cached.Split, out SplitKind split))
            {
                throw new FeatureCacheException($"{cacheFolder}: row '{cached.Path}' has split '{cached.Split}'; use train, val, test or leave it empty");
            }

            if (split == SplitKind.Test)
            {
                testSkipped++;
                continue;
            }

            cached.Features.CopyTo(features, row * featureLength);
            labelOfRow.Add(cached.Label);
            validation.Add(split == SplitKind.Val);
            row++;
        }

        string[] labels = labelOfRow.Distinct().Order(Evaluation.NaturalStringComparer.Instance).ToArray();
        if (labels.Length < 2)
        {
            throw new HeadException($"{cacheFolder}: training rows hold {labels.Length} label(s); a classifier needs at least 2 people");
        }

        Dictionary<string, int> index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
        Array.Resize(ref features, row * featureLength);
        return new TrainingSet(features, featureLength, labelOfRow.Select(l => index[l]).ToArray(), labels, validation.ToArray(), identity, testSkipped);
    }

    /// <summary>Builds a set from memory (tests and benchmarks).</summary>
    public static TrainingSet FromArrays(float[] features, int featureLength, IReadOnlyList<string> labelOfRow, BackboneIdentity identity, IReadOnlyList<bool>? markedValidation = null)
    {
        string[] labels = labelOfRow.Distinct().Order(Evaluation.NaturalStringComparer.Instance).ToArray();
        Dictionary<string, int> index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
        return new TrainingSet(features, featureLength, labelOfRow.Select(l => index[l]).ToArray(), labels, markedValidation?.ToArray() ?? new bool[labelOfRow.Count], identity, 0);
    }
}
