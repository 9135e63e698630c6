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

    /// <summary>Prefix of this shard's cache part files.</summary>
    public string PartPrefix => FeatureCache.FeatureCacheLayout.PartPrefix(this);

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
