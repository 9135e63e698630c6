using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FacePipeline.Imaging;

/// <summary>
/// Decodes binary PGM (P5) and PPM (P6) ourselves. ImageSharp 2.1.13 skips whitespace and <c>#</c> comments after
/// the maxval as if they were still header, so a raster whose first bytes are 9–13, 32 or 35 (<c>#</c>) is shifted
/// or blanked: three ORL faces (s24/4, 6 and 9 start with <c>#</c>) decoded as black images. The format allows
/// exactly one whitespace byte between the maxval and the raster (netpbm's pgm(5)), which is what this reads.
/// </summary>
internal static class BinaryNetpbmDecoder
{
    /// <summary>
    /// Decodes <paramref name="bytes"/> when they are a P5 or P6 file, else returns null. The caller has already
    /// checked the header with <see cref="EncodedImageCheck.PbmProblem"/> (maxval 1–65535, raster long enough).
    /// </summary>
    public static Image<Rgb24>? TryDecode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 3 || bytes[0] != 'P' || (bytes[1] != '5' && bytes[1] != '6'))
        {
            return null;
        }

        int channels = bytes[1] == '6' ? 3 : 1;
        int position = 2;
        long width = EncodedImageCheck.ReadNumber(bytes, ref position);
        long height = EncodedImageCheck.ReadNumber(bytes, ref position);
        long maxValue = EncodedImageCheck.ReadNumber(bytes, ref position);
        position++; // the single whitespace byte before the raster
        int bytesPerSample = maxValue > 255 ? 2 : 1;
        long needed = width * height * channels * bytesPerSample;
        if (width < 1 || height < 1 || maxValue is < 1 or > 65535 || bytes.Length - position < needed)
        {
            throw new ImageDecodeException("unreadable or truncated PGM/PPM");
        }

        ReadOnlySpan<byte> raster = bytes.Slice(position, (int)needed);
        var pixels = new Rgb24[width * height];
        for (int i = 0; i < pixels.Length; i++)
        {
            int sample = i * channels;
            byte r = Scale(raster, sample, bytesPerSample, maxValue);
            pixels[i] = channels == 1
                ? new Rgb24(r, r, r)
                : new Rgb24(r, Scale(raster, sample + 1, bytesPerSample, maxValue), Scale(raster, sample + 2, bytesPerSample, maxValue));
        }

        return Image.LoadPixelData<Rgb24>(pixels, (int)width, (int)height);
    }

    // Samples are big-endian when two bytes wide; values map linearly from 0..maxval onto 0..255, rounded.
    private static byte Scale(ReadOnlySpan<byte> raster, int sample, int bytesPerSample, long maxValue)
    {
        int value = bytesPerSample == 1 ? raster[sample] : (raster[2 * sample] << 8) | raster[2 * sample + 1];
        return maxValue == 255 ? (byte)value : (byte)Math.Min(255, (value * 255 + maxValue / 2) / maxValue);
    }
}
