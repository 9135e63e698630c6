using System.Globalization;

namespace FacePipeline.Head;

/// <summary>
/// The memory budget of a training and what it is spent on. The budget bounds the training rows: in memory, the
/// matrix and its copies; streamed, the shuffle buffer, one batch and one row-group read. The head's own state
/// (<see cref="ModelBytes"/>) depends only on its shape and comes on top.
/// </summary>
public static class TrainingMemory
{
    /// <summary>Fraction of the available memory that is the default budget.</summary>
    public const double DefaultFraction = 0.5;

    /// <summary>Rows scored at once when validating (bounds the validation copy in both modes).</summary>
    public const int ValidationChunkRows = 256;

    /// <summary>
    /// Bytes the process can still take: <c>MemAvailable</c> from <c>/proc/meminfo</c> (free memory plus reclaimable
    /// page cache), else what the GC reports as available (total memory or the container limit).
    /// </summary>
    public static long AvailableBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(fields[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>The default budget: <see cref="DefaultFraction"/> of <see cref="AvailableBytes"/>.</summary>
    public static long DefaultBudgetBytes() => (long)(AvailableBytes() * DefaultFraction);

    /// <summary>
    /// Parses a size: a number with an optional unit, <c>B</c>, <c>KB</c>/<c>MB</c>/<c>GB</c>/<c>TB</c> (powers of
    /// 1000) or <c>KiB</c>/<c>MiB</c>/<c>GiB</c>/<c>TiB</c> (powers of 1024), case-insensitive: <c>2GB</c>, <c>512MiB</c>, <c>1.5GB</c>.
    /// </summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string trimmed = text.Trim();
        int end = 0;
        while (end < trimmed.Length && (char.IsAsciiDigit(trimmed[end]) || trimmed[end] == '.'))
        {
            end++;
        }

        if (!double.TryParse(trimmed.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            return false;
        }

        double? scale = trimmed[end..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" or "K" => 1e3,
            "MB" or "M" => 1e6,
            "GB" or "G" => 1e9,
            "TB" or "T" => 1e12,
            "KIB" => 1L << 10,
            "MIB" => 1L << 20,
            "GIB" => 1L << 30,
            "TIB" => 1L << 40,
            _ => null,
        };
        if (scale is null || number * scale.Value >= long.MaxValue)
        {
            return false;
        }

        bytes = (long)(number * scale.Value);
        return bytes > 0;
    }

    /// <summary>Bytes as MiB for messages.</summary>
    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>
    /// The head's own memory for <paramref name="featureLength"/> inputs and <paramref name="classes"/> outputs:
    /// weights, gradients, Adam's two moments, the kept best weights and the returned copy, six float32 values per parameter.
    /// </summary>
    public static long ModelBytes(int featureLength, int classes)
    {
        long parameters = ((long)featureLength * HeadModel.HiddenSizes[0]) + HeadModel.HiddenSizes[0]
            + ((long)HeadModel.HiddenSizes[0] * HeadModel.HiddenSizes[1]) + HeadModel.HiddenSizes[1]
            + ((long)HeadModel.HiddenSizes[1] * classes) + classes;
        return 6 * parameters * sizeof(float);
    }

    /// <summary>
    /// The real in-memory peak of <paramref name="rows"/> training rows: the float32 matrix, one validation chunk,
    /// and the largest row-group read while loading (the reader's buffers).
    /// </summary>
    public static long InMemoryBytes(long rows, int featureLength, int largestRowGroup) =>
        TrainingSet.MatrixBytes(rows, featureLength)
        + TrainingSet.MatrixBytes(ValidationChunkRows, featureLength)
        + FeatureCache.FeatureCacheReader.RowGroupReadBytes(largestRowGroup, featureLength);

    /// <summary>
    /// What streaming needs besides its shuffle buffer: one row-group read, one batch and one validation chunk.
    /// </summary>
    public static long StreamingFixedBytes(int featureLength, int largestRowGroup, int batchSize) =>
        FeatureCache.FeatureCacheReader.RowGroupReadBytes(largestRowGroup, featureLength)
        + TrainingSet.MatrixBytes(batchSize + (long)ValidationChunkRows, featureLength);

    /// <summary>Shuffle-buffer rows that fit <paramref name="budgetBytes"/> beside <see cref="StreamingFixedBytes"/>.</summary>
    public static long ShuffleBufferRows(long budgetBytes, int featureLength, int largestRowGroup, int batchSize) =>
        (budgetBytes - StreamingFixedBytes(featureLength, largestRowGroup, batchSize)) / TrainingSet.MatrixBytes(1, featureLength);
}
