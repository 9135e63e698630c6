using System.Security.Cryptography;

namespace FacePipeline.Dataset;

/// <summary>SHA-256 of file contents, as lower-case hex: how images and model files are identified.</summary>
public static class ContentHash
{
    /// <summary>Hashes a byte span.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Hashes a file by streaming it (memory stays flat for large model files).</summary>
    public static string OfFile(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
