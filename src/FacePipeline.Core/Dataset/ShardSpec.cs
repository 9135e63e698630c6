using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FacePipeline.Dataset;

/// <summary>
/// <c>--shard K/N</c>: shard K (0-based, as Kubernetes indexed Jobs and Slurm arrays number them) of N takes the
/// images whose relative-path hash falls in its bucket; the N shards partition the set, the same on every machine.
/// </summary>
/// <param name="Index">K, from 0 to N−1.</param>
/// <param name="Count">N, at least 1.</param>
public sealed record ShardSpec(int Index, int Count)
{
    /// <summary>The whole set.</summary>
    public static ShardSpec All { get; } = new(0, 1);

    /// <summary>Parses <c>K/N</c>.</summary>
    /// <exception cref="FormatException">Malformed, or K outside 0…N−1.</exception>
    public static ShardSpec Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || count < 1 || index >= count)
        {
            throw new FormatException($"'{text}' is not a shard; use K/N with 0 <= K < N (e.g. 0/4)");
        }

        return new ShardSpec(index, count);
    }

    /// <summary>The value of <c>--shard</c> that takes the index from the scheduler (<see cref="FromScheduler"/>).</summary>
    public const string Auto = "auto";

    /// <summary>Kubernetes Indexed Job: the pod's completion index, 0…completions−1.</summary>
    public const string KubernetesIndexVariable = "JOB_COMPLETION_INDEX";

    /// <summary>Slurm job array: the task's array index, as given in <c>--array</c>.</summary>
    public const string SlurmIndexVariable = "SLURM_ARRAY_TASK_ID";

    /// <summary>
    /// Resolves <c>--shard</c>: <c>K/N</c> as given, or <see cref="Auto"/> with the index read from the scheduler's
    /// variable and the count given explicitly (the scheduler's own count is not trusted: a resubmitted subset of a
    /// Slurm array, e.g. <c>--array=3,7</c>, makes <c>SLURM_ARRAY_TASK_COUNT</c> 2 while the layout is still N).
    /// </summary>
    /// <param name="text">The <c>--shard</c> value; null for the whole set.</param>
    /// <param name="count">The <c>--shard-count</c> value, required with <see cref="Auto"/> and refused otherwise.</param>
    /// <param name="environment">Reads an environment variable (tests pass a dictionary lookup).</param>
    /// <exception cref="FormatException">Malformed, a missing or conflicting count, or a missing, malformed, disagreeing or out-of-range index.</exception>
    public static ShardSpec Resolve(string? text, int? count, Func<string, string?> environment)
    {
        if (text is null || !string.Equals(text, Auto, StringComparison.Ordinal))
        {
            if (count is not null)
            {
                throw new FormatException("--shard-count goes with --shard auto only; give --shard K/N or --shard auto --shard-count N");
            }

            return text is null ? All : Parse(text);
        }

        if (count is null)
        {
            throw new FormatException(
                $"--shard auto needs --shard-count N (the number of shards): the scheduler's own count is not trusted, a resubmitted part of a Slurm array changes it");
        }

        return FromScheduler(count.Value, environment);
    }

    /// <summary>
    /// Shard <c>K/<paramref name="count"/></c> with K from <see cref="KubernetesIndexVariable"/> or
    /// <see cref="SlurmIndexVariable"/> (an empty variable counts as unset; both set must agree).
    /// </summary>
    /// <exception cref="FormatException">No variable set, a value that is not a number, two values that disagree, or K outside 0…N−1.</exception>
    public static ShardSpec FromScheduler(int count, Func<string, string?> environment)
    {
        if (count < 1)
        {
            throw new FormatException($"--shard-count {count.ToString(CultureInfo.InvariantCulture)}: must be at least 1");
        }

        int? kubernetes = ReadIndex(KubernetesIndexVariable, environment);
        int? slurm = ReadIndex(SlurmIndexVariable, environment);
        if (kubernetes is not null && slurm is not null && kubernetes != slurm)
        {
            throw new FormatException(
                $"--shard auto: {KubernetesIndexVariable}={kubernetes} and {SlurmIndexVariable}={slurm} disagree; unset one, or give --shard K/N");
        }

        (int? index, string variable) = kubernetes is not null ? (kubernetes, KubernetesIndexVariable) : (slurm, SlurmIndexVariable);
        if (index is null)
        {
            throw new FormatException(
                $"--shard auto: neither {KubernetesIndexVariable} (Kubernetes Indexed Job) nor {SlurmIndexVariable} (Slurm array) is set; give --shard K/N");
        }

        if (index >= count)
        {
            throw new FormatException(
                $"--shard auto: {variable}={index} is outside 0..{count - 1} for --shard-count {count}; number the array 0-{count - 1}");
        }

        return new ShardSpec(index.Value, count);
    }

    private static int? ReadIndex(string variable, Func<string, string?> environment)
    {
        string? text = environment(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index
            : throw new FormatException($"--shard auto: {variable}='{text}' is not a shard index (a number from 0)");
    }

    /// <summary>Whether this shard takes the image at <paramref name="relativePath"/>.</summary>
    public bool Contains(string relativePath)
    {
        if (Count == 1)
        {
            return true;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(relativePath), hash);
        return (int)(BinaryPrimitives.ReadUInt64LittleEndian(hash) % (ulong)Count) == Index;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
