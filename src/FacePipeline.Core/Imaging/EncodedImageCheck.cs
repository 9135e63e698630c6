using System.Globalization;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;

namespace FacePipeline.Imaging;

/// <summary>
/// Checks on the encoded bytes, before ImageSharp decodes them: that the data can hold the pixels the header claims
/// (bounding the decoder's memory by the file size, not only by the pixel count) and that the file is complete where
/// ImageSharp 2.1.13 would silently decode a truncated one (PBM/PGM/PPM byte count, JPEG end-of-image marker, GIF
/// trailer). ImageSharp 2.1.13 has no decoding warnings to consult: it either throws or decodes.
/// </summary>
internal static class EncodedImageCheck
{
    /// <summary>
    /// JPEG: every 8×8 block of every component costs at least one bit (the shortest Huffman code of a DC
    /// difference; a baseline block needs a second one for its end-of-block), so a byte covers at most 8 × 64 pixels.
    /// </summary>
    public const int JpegPixelsPerByte = 512;

    /// <summary>GIF: a 12-bit LZW code stands for at most 4 096 pixels, so a byte covers at most 4 096 × 8 / 12.</summary>
    public const int GifPixelsPerByte = 2731;

    /// <summary>
    /// PNG and every other format: deflate's largest ratio is 1 032 : 1, at 1 bit per pixel (the densest packing of
    /// any supported format), so a byte covers at most 8 × 1 032 pixels. BMP, TIFF, WebP and TGA compress less.
    /// </summary>
    public const int DeflatePixelsPerByte = 8 * 1032;

    /// <summary>The reason the bytes cannot be the image their header claims, or null when they can.</summary>
    public static string? Problem(ReadOnlySpan<byte> bytes, IImageFormat format, int widthPx, int heightPx)
    {
        long pixels = (long)widthPx * heightPx;
        if (format is PbmFormat)
        {
            // Uncompressed: the exact byte count bounds the pixels by the file size.
            return PbmProblem(bytes);
        }

        (int perByte, string name) = format switch
        {
            JpegFormat => (JpegPixelsPerByte, "JPEG"),
            GifFormat => (GifPixelsPerByte, "GIF"),
            PngFormat => (DeflatePixelsPerByte, "PNG"),
            _ => (DeflatePixelsPerByte, format.Name),
        };
        if (pixels > (long)perByte * bytes.Length)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"header claims {widthPx}x{heightPx} pixels, more than {bytes.Length} bytes of {name} can hold (at most {perByte} pixels per byte)");
        }

        return format switch
        {
            JpegFormat => JpegProblem(bytes),
            GifFormat => GifProblem(bytes),
            _ => null,
        };
    }

    /// <summary>
    /// PBM/PGM/PPM (P1–P6): maxval 1–65535, and as many samples as the header promises (ImageSharp fills a short
    /// file with zeros, and divides by a maxval of 0).
    /// </summary>
    public static string? PbmProblem(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 'P' || bytes[1] < '1' || bytes[1] > '6')
        {
            return null;
        }

        int kind = bytes[1] - '0';
        int position = 2;
        long width = ReadNumber(bytes, ref position);
        long height = ReadNumber(bytes, ref position);
        long maxValue = kind is 1 or 4 ? 1 : ReadNumber(bytes, ref position);
        if (width < 0 || height < 0 || maxValue < 0)
        {
            return "unreadable PBM/PGM/PPM header";
        }

        if (maxValue is 0 or > 65535)
        {
            return string.Create(CultureInfo.InvariantCulture, $"PGM/PPM maxval {maxValue} (must be 1 to 65535)");
        }

        int channels = kind is 3 or 6 ? 3 : 1;
        if (kind >= 4)
        {
            position++; // the single whitespace byte before the raster
            long promised = kind == 4 ? (width + 7) / 8 * height : width * height * channels * (maxValue > 255 ? 2 : 1);
            long held = Math.Max(0, bytes.Length - position);
            return held < promised
                ? string.Create(CultureInfo.InvariantCulture, $"truncated: the {width}x{height} header promises {promised} bytes of pixels, the file holds {held}")
                : null;
        }

        long samples = width * height * channels;
        long found = CountPlainSamples(bytes[position..], packedBits: kind == 1, samples);
        return found < samples
            ? string.Create(CultureInfo.InvariantCulture, $"truncated: the {width}x{height} header promises {samples} samples, the file holds {found}")
            : null;
    }

    /// <summary>
    /// JPEG: walks the marker segments and the entropy-coded data up to the end-of-image marker. A file that ends
    /// first is truncated; an impossible marker or restart out of sequence inside a scan is a garbled scan. Bytes after
    /// the end-of-image marker are allowed (cameras append data there).
    /// </summary>
    public static string? JpegProblem(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8)
        {
            return "corrupt JPEG: no start-of-image marker";
        }

        int position = 2;
        int restartInterval = 0;
        bool afterScan = false;
        while (true)
        {
            string? problem = ReadJpegMarker(bytes, ref position, afterScan, out byte marker, out int markerAt);
            if (problem is not null || marker == 0xD9)
            {
                return problem;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // standalone markers carry no length
            }

            problem = SkipJpegSegment(bytes, ref position, marker, markerAt, ref restartInterval);
            if (problem is null && marker == 0xDA)
            {
                afterScan = true;
                problem = SkipJpegScanData(bytes, ref position, restartInterval);
            }

            if (problem is not null)
            {
                return problem;
            }
        }
    }

    private const string JpegTruncated = "truncated JPEG: the data ends before its end-of-image marker";

    /// <summary>
    /// Reads the marker at <paramref name="position"/> (after its fill bytes) and moves past it; the problem, or null
    /// when the marker may stand here.
    /// </summary>
    private static string? ReadJpegMarker(ReadOnlySpan<byte> bytes, ref int position, bool afterScan, out byte marker, out int markerAt)
    {
        marker = 0;
        markerAt = position;
        if (position >= bytes.Length)
        {
            return JpegTruncated;
        }

        if (bytes[position] != 0xFF)
        {
            return Corrupt("a marker expected", position);
        }

        while (position < bytes.Length && bytes[position] == 0xFF)
        {
            position++;
        }

        if (position >= bytes.Length)
        {
            return JpegTruncated;
        }

        markerAt = position - 1;
        marker = bytes[position++];
        if (marker == 0xD9)
        {
            return null;
        }

        return marker is 0x00 or (>= 0x02 and <= 0xBF) || (afterScan && !MayFollowScan(marker))
            ? Corrupt($"unexpected marker 0xFF{marker:X2}", markerAt)
            : null;
    }

    /// <summary>Skips the length-prefixed segment of <paramref name="marker"/>, noting a restart interval (DRI).</summary>
    private static string? SkipJpegSegment(ReadOnlySpan<byte> bytes, ref int position, byte marker, int markerAt, ref int restartInterval)
    {
        if (position + 2 > bytes.Length)
        {
            return JpegTruncated;
        }

        int length = (bytes[position] << 8) | bytes[position + 1];
        if (length < 2)
        {
            return Corrupt($"segment 0xFF{marker:X2} of length {length}", markerAt);
        }

        if (position + length > bytes.Length)
        {
            return JpegTruncated;
        }

        if (marker == 0xDD && length >= 4)
        {
            restartInterval = (bytes[position + 2] << 8) | bytes[position + 3];
        }

        position += length;
        return null;
    }

    /// <summary>
    /// Skips entropy-coded data up to the marker that ends the scan. Inside it 0xFF is always followed by 0x00 (a
    /// stuffed byte), a restart marker in sequence, or that marker.
    /// </summary>
    private static string? SkipJpegScanData(ReadOnlySpan<byte> bytes, ref int position, int restartInterval)
    {
        int nextRestart = 0;
        while (true)
        {
            int at = bytes[position..].IndexOf((byte)0xFF);
            if (at < 0 || position + at + 1 >= bytes.Length)
            {
                return JpegTruncated;
            }

            position += at;
            byte next = bytes[position + 1];
            if (next == 0x00 || next == 0xFF)
            {
                position += next == 0x00 ? 2 : 1;
                continue;
            }

            if (next is not (>= 0xD0 and <= 0xD7))
            {
                return null;
            }

            if (restartInterval == 0 || next - 0xD0 != nextRestart)
            {
                return Corrupt($"restart marker 0xFF{next:X2} out of sequence in the scan data", position);
            }

            nextRestart = (nextRestart + 1) % 8;
            position += 2;
        }
    }

    /// <summary>GIF: walks the blocks (extensions, images and their data sub-blocks) up to the trailer 0x3B.</summary>
    public static string? GifProblem(ReadOnlySpan<byte> bytes)
    {
        const string truncated = "truncated GIF: the data ends before its trailer (0x3B)";
        if (bytes.Length < 13)
        {
            return truncated;
        }

        int position = 13 + ColourTableBytes(bytes[10]);
        while (true)
        {
            if (position >= bytes.Length)
            {
                return truncated;
            }

            byte block = bytes[position++];
            switch (block)
            {
                case 0x3B:
                    return null;
                case 0x21:
                    position++; // the extension's label
                    break;
                case 0x2C:
                    if (position + 10 > bytes.Length)
                    {
                        return truncated;
                    }

                    position += 9 + ColourTableBytes(bytes[position + 8]) + 1; // descriptor, local table, LZW code size
                    break;
                default:
                    return string.Create(CultureInfo.InvariantCulture, $"corrupt GIF: unknown block 0x{block:X2} at byte {position - 1}");
            }

            while (true)
            {
                if (position >= bytes.Length)
                {
                    return truncated;
                }

                int size = bytes[position++];
                if (size == 0)
                {
                    break;
                }

                position += size;
            }
        }
    }

    private static int ColourTableBytes(byte flags) => (flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0;

    /// <summary>What may follow a scan: another scan, tables, restart interval, line count, application data, comments.</summary>
    private static bool MayFollowScan(byte marker) =>
        marker is 0xDA or 0xC4 or 0xCC or 0xDB or 0xDC or 0xDD or 0xFE or (>= 0xE0 and <= 0xEF);

    private static string Corrupt(string what, int offset) =>
        string.Create(CultureInfo.InvariantCulture, $"corrupt JPEG: {what} at byte {offset}");

    /// <summary>Reads a header number after whitespace and <c>#</c> comments; -1 when there is none.</summary>
    internal static long ReadNumber(ReadOnlySpan<byte> bytes, ref int position)
    {
        SkipSpaceAndComments(bytes, ref position);
        long value = 0;
        int start = position;
        while (position < bytes.Length && bytes[position] is >= (byte)'0' and <= (byte)'9')
        {
            value = Math.Min(value * 10 + (bytes[position] - '0'), int.MaxValue);
            position++;
        }

        return position > start ? value : -1;
    }

    private static void SkipSpaceAndComments(ReadOnlySpan<byte> bytes, ref int position)
    {
        while (position < bytes.Length)
        {
            if (bytes[position] == '#')
            {
                while (position < bytes.Length && bytes[position] != '\n' && bytes[position] != '\r')
                {
                    position++;
                }
            }
            else if (bytes[position] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C)
            {
                position++;
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Counts plain samples, up to <paramref name="wanted"/>: P1 digits may touch, P2/P3 numbers are separated.</summary>
    private static long CountPlainSamples(ReadOnlySpan<byte> bytes, bool packedBits, long wanted)
    {
        long count = 0;
        int position = 0;
        while (count < wanted)
        {
            SkipSpaceAndComments(bytes, ref position);
            if (position >= bytes.Length || bytes[position] is < (byte)'0' or > (byte)'9')
            {
                return count;
            }

            if (packedBits)
            {
                position++;
            }
            else
            {
                while (position < bytes.Length && bytes[position] is >= (byte)'0' and <= (byte)'9')
                {
                    position++;
                }
            }

            count++;
        }

        return count;
    }
}
