using System.Buffers.Binary;
using System.Security.Cryptography;
using FacePipeline.Features;
using Parquet;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The one check of a part's bytes: its footer and identity read, and its recorded
/// <see cref="FeatureCacheSchema.DataSha256Key"/> matched against the SHA-256 of its bytes before the footer (about 3 s
/// per GB, see the README), without decoding it. Extract runs it on a shard's parts before trusting them, verify on
/// every part before decoding it.
/// </summary>
/// <param name="Problem">What is wrong with the part, or null when it is intact or has no checksum (written by an older version).</param>
/// <param name="Identity">The identity the part records; null when its footer cannot be read.</param>
/// <param name="HasChecksum">Whether the part records a data checksum.</param>
public sealed record PartIntegrity(string? Problem, FeatureIdentity? Identity, bool HasChecksum)
{
    /// <summary>Checks the part <paramref name="file"/>.</summary>
    public static async Task<PartIntegrity> CheckAsync(string file, CancellationToken cancellationToken = default)
    {
        FeatureIdentity identity;
        string? recorded;
        long dataBytes;
        try
        {
            await using FileStream stream = File.OpenRead(file);
            dataBytes = DataLength(stream);
            await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
            identity = FeatureCacheSchema.ReadIdentity(reader.CustomMetadata, file);
            recorded = reader.CustomMetadata.TryGetValue(FeatureCacheSchema.DataSha256Key, out string? value) ? value : null;
        }
        catch (Exception error) when (IsCorruption(error))
        {
            return new PartIntegrity($"not a readable cache part ({OneLine(error)})", null, false);
        }

        if (recorded is null)
        {
            return new PartIntegrity(null, identity, false);
        }

        string actual = await HashPrefixAsync(file, dataBytes, cancellationToken);
        return actual == recorded
            ? new PartIntegrity(null, identity, true)
            : new PartIntegrity($"data checksum mismatch (SHA-256 of its pages is {actual[..12]}…, recorded {recorded[..Math.Min(12, recorded.Length)]}…): the file is corrupt", identity, true);
    }

    /// <summary>
    /// Decoders fed corrupt bytes fail in many ways (Parquet.Net's own exceptions, but also index, overflow and
    /// argument errors from its decompressors and Thrift reader): each of them means "this file is damaged" here.
    /// </summary>
    internal static bool IsCorruption(Exception error) =>
        error is FacePipelineException or ParquetException or IOException or InvalidDataException or ArgumentException
            or IndexOutOfRangeException or InvalidOperationException or OverflowException or NotSupportedException
            or FormatException or InvalidCastException or NullReferenceException;

    /// <summary>An exception's message on one line, for a problem.</summary>
    internal static string OneLine(Exception error) => error.Message.ReplaceLineEndings(" ").Trim();

    /// <summary>Bytes before the footer: the file ends with the footer, its 4-byte little-endian length and <c>PAR1</c>.</summary>
    private static long DataLength(FileStream stream)
    {
        if (stream.Length < 12)
        {
            throw new InvalidDataException("shorter than a Parquet file");
        }

        Span<byte> tail = stackalloc byte[8];
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Seek(0, SeekOrigin.Begin);
        long footer = BinaryPrimitives.ReadInt32LittleEndian(tail);
        long data = stream.Length - 8 - footer;
        return footer < 0 || data < 4 ? throw new InvalidDataException("footer length out of range") : data;
    }

    private static async Task<string> HashPrefixAsync(string file, long length, CancellationToken cancellationToken)
    {
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long left = length;
        while (left > 0)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            hash.AppendData(buffer, 0, read);
            left -= read;
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
