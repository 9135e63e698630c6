using System.Text;
using FacePipeline.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace FacePipeline.Tests.Imaging;

/// <summary>
/// Hostile and damaged files, each generated here: every one must be refused with a reason (an
/// <see cref="ImageDecodeException"/>), never crash the caller and never decode as if it were good.
/// </summary>
public sealed class HostileImageTests
{
    private static readonly Preprocessing Size224 = new() { WidthPx = 224, HeightPx = 224 };

    private readonly ImageDecoder decoder = new();

    [Fact]
    public void A_pgm_with_maxval_0_is_refused_with_its_reason()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("P5\n4 4\n0\n"), .. new byte[16]];

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(bytes, Size224));

        Assert.Equal("PGM/PPM maxval 0 (must be 1 to 65535)", error.Message);
    }

    [Fact]
    public void Any_exception_from_inside_the_decoder_call_is_the_files_problem()
    {
        ImageDecodeException error = Assert.Throws<ImageDecodeException>(
            () => ImageDecoder.CallDecoder<int>(() => throw new DivideByZeroException(), "corrupt or truncated image"));

        Assert.Equal("corrupt or truncated image (Attempted to divide by zero)", error.Message);
        Assert.IsType<DivideByZeroException>(error.InnerException);
    }

    [Theory]
    [InlineData(PbmColorType.Grayscale)]
    [InlineData(PbmColorType.Rgb)]
    public void A_pgm_or_ppm_cut_in_half_is_refused(PbmColorType colour)
    {
        byte[] whole = Encode(Noise(40, 30), new PbmEncoder { ColorType = colour, Encoding = PbmEncoding.Binary });
        int samples = 40 * 30 * (colour == PbmColorType.Rgb ? 3 : 1);
        int header = whole.Length - samples;

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(whole[..(header + (samples / 2))], Size224));

        Assert.Equal($"truncated: the 40x30 header promises {samples} bytes of pixels, the file holds {samples / 2}", error.Message);
    }

    [Fact]
    public void A_plain_pgm_with_missing_samples_is_refused()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("P2\n# a comment\n3 2\n255\n0 10 20\n30 40\n");

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(bytes, Size224));

        Assert.Equal("truncated: the 3x2 header promises 6 samples, the file holds 5", error.Message);
    }

    [Fact]
    public void A_jpeg_cut_in_its_scan_data_is_refused()
    {
        byte[] jpeg = Encode(Noise(128, 128), new JpegEncoder { Quality = 90 });

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(jpeg[..(jpeg.Length * 2 / 3)], Size224));

        Assert.Equal("truncated JPEG: the data ends before its end-of-image marker", error.Message);
    }

    [Fact]
    public void A_jpeg_with_a_garbled_scan_is_refused()
    {
        byte[] jpeg = Encode(Noise(128, 128), new JpegEncoder { Quality = 90 });
        // Overwrite the middle third, well inside the entropy-coded data, with random bytes: what a damaged disk
        // sector or a botched transfer leaves.
        var garbage = new byte[jpeg.Length / 3];
        new Random(11).NextBytes(garbage);
        garbage.CopyTo(jpeg, jpeg.Length / 3);

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(jpeg, Size224));

        Assert.StartsWith("corrupt JPEG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_complete_jpeg_with_bytes_after_its_end_is_still_read()
    {
        byte[] jpeg = [.. Encode(Noise(64, 64), new JpegEncoder { Quality = 90 }), 0, 0, 0, 0];

        Assert.Equal(224 * 224 * 3, decoder.DecodeResized(jpeg, Size224).Length);
    }

    [Fact]
    public void A_truncated_gif_is_refused()
    {
        byte[] gif = Encode(Noise(64, 64), new GifEncoder());
        Assert.Equal(0x3B, gif[^1]);

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(gif[..(gif.Length * 2 / 3)], Size224));

        Assert.Equal("truncated GIF: the data ends before its trailer (0x3B)", error.Message);
    }

    [Theory]
    [InlineData("pgm")]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("gif")]
    public void A_small_file_claiming_16000x6000_pixels_is_refused_before_decoding(string format)
    {
        byte[] bytes = ClaimSize(format, widthPx: 16_000, heightPx: 6_000);
        Assert.True(bytes.Length <= 1024, $"{format}: {bytes.Length} bytes");
        Assert.Equal((16_000, 6_000), (Image.Identify(bytes).Width, Image.Identify(bytes).Height));
        decoder.DecodeResized(Encode(Noise(8, 8), new PngEncoder()), Size224); // warm up: JIT and ImageSharp's statics

        long before = GC.GetAllocatedBytesForCurrentThread();
        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(bytes, Size224));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 10_000_000, $"{format}: allocated {allocated} bytes refusing it");
        Assert.Contains("16000x6000", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A small valid file of <paramref name="format"/> whose header is patched to claim another size.</summary>
    private static byte[] ClaimSize(string format, int widthPx, int heightPx)
    {
        switch (format)
        {
            case "pgm":
                return [.. Encoding.ASCII.GetBytes($"P5\n{widthPx} {heightPx}\n255\n"), .. new byte[900]];
            case "jpeg":
            {
                byte[] jpeg = Encode(Flat(16, 16), new JpegEncoder { Quality = 50 });
                int sof = IndexOf(jpeg, [0xFF, 0xC0]);
                jpeg[sof + 5] = (byte)(heightPx >> 8);
                jpeg[sof + 6] = (byte)heightPx;
                jpeg[sof + 7] = (byte)(widthPx >> 8);
                jpeg[sof + 8] = (byte)widthPx;
                return jpeg;
            }

            case "png":
            {
                byte[] png = Encode(Flat(16, 16), new PngEncoder());
                WriteBigEndian(png, 16, widthPx);
                WriteBigEndian(png, 20, heightPx);
                // The IHDR chunk's CRC covers its type and data (bytes 12–28).
                WriteBigEndian(png, 29, (int)Crc32(png.AsSpan(12, 17)));
                return png;
            }

            case "gif":
            {
                byte[] gif = Encode(Flat(16, 16), new GifEncoder());
                gif[6] = (byte)widthPx;
                gif[7] = (byte)(widthPx >> 8);
                gif[8] = (byte)heightPx;
                gif[9] = (byte)(heightPx >> 8);
                return gif;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(format));
        }
    }

    private static int IndexOf(byte[] bytes, byte[] pattern) => bytes.AsSpan().IndexOf(pattern);

    private static void WriteBigEndian(byte[] bytes, int offset, int value)
    {
        bytes[offset] = (byte)(value >> 24);
        bytes[offset + 1] = (byte)(value >> 16);
        bytes[offset + 2] = (byte)(value >> 8);
        bytes[offset + 3] = (byte)value;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    private static Image<Rgb24> Noise(int width, int height)
    {
        var random = new Random(3);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        return image;
    }

    private static Image<Rgb24> Flat(int width, int height) => new(width, height, new Rgb24(90, 90, 90));

    private static byte[] Encode(Image<Rgb24> image, IImageEncoder encoder)
    {
        using (image)
        {
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }
}
