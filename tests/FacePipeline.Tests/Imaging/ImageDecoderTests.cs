using System.Text;
using FacePipeline.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace FacePipeline.Tests.Imaging;

/// <summary>Decoding every supported format from memory, content detection and the one-line reasons for bad input.</summary>
public sealed class ImageDecoderTests
{
    private static readonly Preprocessing Size224 = new() { WidthPx = 224, HeightPx = 224 };

    private readonly ImageDecoder decoder = new();

    public static TheoryData<string> Formats => new() { "png", "jpeg", "gif", "bmp", "tiff", "webp", "pgm" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_format_decodes_to_224x224x3(string format)
    {
        byte[] encoded = Encode(Gradient(48, 40, noise: false), format);

        byte[] rgb = decoder.DecodeResized(encoded, Size224);

        Assert.Equal(224 * 224 * 3, rgb.Length);
        // The left edge is dark and the right edge bright in every format (lossy ones included).
        int row = 112 * 224 * 3;
        Assert.True(rgb[row + 223 * 3] > rgb[row] + 100, $"{format}: left {rgb[row]}, right {rgb[row + 223 * 3]}");
        if (format == "pgm")
        {
            Assert.Equal(rgb[row + 150 * 3], rgb[row + 150 * 3 + 2]);
        }
    }

    [Fact]
    public void Center_crop_keeps_the_aspect_ratio_and_stretch_does_not()
    {
        // Left half black, right half white, 200×100: a centre crop of the middle 100×100 keeps both halves,
        // as does stretching; a 3-pixel-wide white stripe on the far right is cut by the crop only.
        using var image = new Image<Rgb24>(200, 100, new Rgb24(0, 0, 0));
        for (int y = 0; y < 100; y++)
        {
            for (int x = 195; x < 200; x++)
            {
                image[x, y] = new Rgb24(255, 255, 255);
            }
        }

        byte[] png = Encode(image, "png");
        var small = new Preprocessing { WidthPx = 20, HeightPx = 20 };
        byte[] stretched = decoder.DecodeResized(png, small);
        byte[] cropped = decoder.DecodeResized(png, small with { Resize = ResizeMode.CenterCrop });

        int lastPixel = (10 * 20 + 19) * 3;
        Assert.True(stretched[lastPixel] > 100, $"stretched keeps the stripe ({stretched[lastPixel]})");
        Assert.Equal(0, cropped[lastPixel]);
    }

    [Fact]
    public void The_format_comes_from_the_content_not_the_extension()
    {
        using var folder = new TestSupport.TempFolder();
        string misnamed = folder.Combine("photo.jpg");
        File.WriteAllBytes(misnamed, Encode(Gradient(30, 30, noise: false), "png"));

        byte[] rgb = decoder.DecodeResized(File.ReadAllBytes(misnamed), Size224);

        Assert.Equal(224 * 224 * 3, rgb.Length);
        Assert.Equal(PngFormat.Instance, Image.DetectFormat(File.ReadAllBytes(misnamed)));
    }

    [Fact]
    public void Zero_bytes_is_an_empty_file()
    {
        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized([], Size224));
        Assert.Equal("empty file (0 bytes)", error.Message);
    }

    [Fact]
    public void Random_bytes_are_not_an_image()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        // Make sure the random start is no format's magic number.
        bytes[0] = (byte)'Z';
        bytes[1] = (byte)'Z';

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(bytes, Size224));
        Assert.StartsWith("not an image in a supported format", error.Message, StringComparison.Ordinal);

        ImageDecodeException text = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(Encoding.UTF8.GetBytes("path,label\nnot,an image\n"), Size224));
        Assert.StartsWith("not an image in a supported format", text.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_png_is_refused_as_corrupt_or_truncated()
    {
        byte[] png = Encode(Gradient(128, 128, noise: true), "png");
        Assert.True(png.Length > 10_000, "the noisy PNG should have a long IDAT");

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(png[..(png.Length / 2)], Size224));
        Assert.StartsWith("corrupt or truncated image (", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jpeg_cut_in_its_header_is_refused()
    {
        byte[] jpeg = Encode(Gradient(128, 128, noise: true), "jpeg");

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(jpeg[..200], Size224));
        Assert.StartsWith("unreadable image header (", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pgm_header_claiming_60000x60000_is_refused_before_decoding()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("P5\n60000 60000\n255\n"), 1, 2, 3, 4, 5, 6, 7, 8];
        decoder.DecodeResized(Encode(Gradient(8, 8, noise: false), "pgm"), Size224); // warm up: JIT and ImageSharp's statics

        long before = GC.GetAllocatedBytesForCurrentThread();
        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeResized(bytes, Size224));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("image too large: 60000x60000 pixels (limit 16384 per side, 100 megapixels)", error.Message);
        Assert.True(allocated < 10_000_000, $"allocated {allocated} bytes refusing a header");
    }

    private static Image<Rgb24> Gradient(int width, int height, bool noise)
    {
        var random = new Random(3);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte level = (byte)(x * 255 / (width - 1));
                image[x, y] = noise
                    ? new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))
                    : new Rgb24(level, level, (byte)(255 - (y * 255 / (height - 1))));
            }
        }

        return image;
    }

    private static byte[] Encode(Image<Rgb24> image, string format)
    {
        using (image)
        {
            IImageEncoder encoder = format switch
            {
                "png" => new PngEncoder(),
                "jpeg" => new JpegEncoder { Quality = 90 },
                "gif" => new GifEncoder(),
                "bmp" => new BmpEncoder(),
                "tiff" => new TiffEncoder(),
                "webp" => new WebpEncoder(),
                "pgm" => new PbmEncoder { ColorType = PbmColorType.Grayscale, Encoding = PbmEncoding.Binary },
                _ => throw new ArgumentOutOfRangeException(nameof(format)),
            };
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }
}
