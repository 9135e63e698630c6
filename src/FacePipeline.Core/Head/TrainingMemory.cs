using System.Globalization;

namespace FacePipeline.Head;

/// <summary>
/// The memory budget of a training and what it is spent on. TrainHead's budget bounds the whole process: first the
/// fixed part (<see cref="ProcessFixedBytes"/>: runtime, libtorch, the head's state), then the training rows with what
/// is left: in memory, the matrix, a validation chunk and one read; streamed, the shuffle buffer, one batch, one
/// validation chunk and one read (a whole row group, or a slice of one read page by page).
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
    /// Resident memory of the .NET runtime, its heaps, the program's code and the keys of the rows: TrainHead fitting
    /// prototypes peaked at 66 MiB on 400 rows × 512 floats and 100 MiB on 400 × 25 088 streamed (rows included),
    /// 2-core Debian 12 VM under load, 2026-12-03.
    /// </summary>
    public const int RuntimeMib = 96;

    /// <summary>
    /// Resident memory libtorch adds once the mlp is trained: its CPU libraries and threads (the mlp run on 400 × 512
    /// floats peaked at 229 MiB, 163 MiB above the prototype run, with 18 MiB of head state) and the slack its
    /// allocator and the GC build up over many batches (a streamed run on 16 000 × 2 048 floats peaked 126 MiB above
    /// what the runtime, libraries, head and rows account for; one run during the whole test suite, before
    /// <see cref="NativeArenas"/> capped glibc's arenas, peaked 11 MiB above the 288 MiB stated then, hence 320).
    /// </summary>
    public const int LibTorchMib = 320;

    /// <summary>Runtime and, when <paramref name="head"/> trains the mlp, libtorch: <see cref="RuntimeMib"/> + <see cref="LibTorchMib"/>.</summary>
    public static long RuntimeBytes(HeadKind head) => (long)(RuntimeMib + (head == HeadKind.Prototype ? 0 : LibTorchMib)) << 20;

    /// <summary>
    /// What the process takes whatever the rows: <see cref="RuntimeBytes(HeadKind)"/> plus the state of the head kind(s) that
    /// <paramref name="head"/> fits (auto fits both): the mlp's <see cref="ModelBytes"/>, the prototypes' float64 sum
    /// and float32 prototype per person and feature.
    /// </summary>
    public static long ProcessFixedBytes(int featureLength, int classes, HeadKind head) =>
        RuntimeBytes(head) + HeadStateBytes(featureLength, classes, head);

    /// <summary>
    /// The head's own state: see <see cref="ProcessFixedBytes"/>; for the mlp also Adam's two temporaries of the largest
    /// weight (the square root and the quotient of its step), 196 MiB at 25 088 inputs.
    /// </summary>
    public static long HeadStateBytes(int featureLength, int classes, HeadKind head)
    {
        long prototypes = (long)classes * featureLength * (sizeof(double) + sizeof(float));
        return head switch
        {
            HeadKind.Prototype => prototypes,
            HeadKind.Mlp => ModelBytes(featureLength, classes) + AdamTemporaryBytes(featureLength),
            _ => ModelBytes(featureLength, classes) + AdamTemporaryBytes(featureLength) + prototypes,
        };
    }

    /// <summary>Adam's step makes two float32 temporaries the size of the first layer's weight (features × 1 024).</summary>
    private static long AdamTemporaryBytes(int featureLength) => 2L * featureLength * HeadModel.HiddenSizes[0] * sizeof(float);

    /// <summary>
    /// The real in-memory peak of <paramref name="rows"/> training rows: the float32 matrix, one validation chunk,
    /// and one read while loading (<paramref name="readBytes"/>).
    /// </summary>
    public static long InMemoryBytes(long rows, int featureLength, long readBytes) =>
        TrainingSet.MatrixBytes(rows, featureLength)
        + TrainingSet.MatrixBytes(ValidationChunkRows, featureLength)
        + readBytes;

    /// <summary>
    /// What streaming needs besides its shuffle buffer: one read (<paramref name="readBytes"/>), one batch and one validation chunk.
    /// </summary>
    public static long StreamingFixedBytes(int featureLength, long readBytes, int batchSize) =>
        readBytes + TrainingSet.MatrixBytes(batchSize + (long)ValidationChunkRows, featureLength);

    /// <summary>Shuffle-buffer rows that fit <paramref name="budgetBytes"/> beside <see cref="StreamingFixedBytes"/>.</summary>
    public static long ShuffleBufferRows(long budgetBytes, int featureLength, long readBytes, int batchSize) =>
        (budgetBytes - StreamingFixedBytes(featureLength, readBytes, batchSize)) / TrainingSet.MatrixBytes(1, featureLength);
}
