using System.Text;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace FacePipeline.Tests.Imaging;

/// <summary>Binary PGM/PPM rasters whose first bytes look like header whitespace or a comment decode exactly.</summary>
public sealed class BinaryNetpbmDecoderTests
{
    private readonly ImageDecoder decoder = new();

    [Theory]
    [InlineData((byte)'#')]
    [InlineData((byte)' ')]
    [InlineData((byte)'\n')]
    [InlineData((byte)9)]
    public void A_pgm_raster_starting_with_a_header_like_byte_keeps_every_pixel(byte first)
    {
        byte[] raster = [first, 35, 200, 10, 0, 255];
        byte[] file = [.. Encoding.ASCII.GetBytes("P5\n# a comment\n3 2\n255\n"), .. raster];

        using Image<Rgb24> image = decoder.Decode(file);

        Assert.Equal((3, 2), (image.Width, image.Height));
        for (int i = 0; i < raster.Length; i++)
        {
            Assert.Equal(new Rgb24(raster[i], raster[i], raster[i]), image[i % 3, i / 3]);
        }
    }

    [Fact]
    public void A_ppm_raster_keeps_its_channels()
    {
        byte[] file = [.. Encoding.ASCII.GetBytes("P6 2 1 255\n"), (byte)'#', 1, 2, 250, 251, 252];
        using Image<Rgb24> image = decoder.Decode(file);
        Assert.Equal(new Rgb24(35, 1, 2), image[0, 0]);
        Assert.Equal(new Rgb24(250, 251, 252), image[1, 0]);
    }

    [Fact]
    public void Sixteen_bit_and_small_maxval_samples_scale_to_eight_bits()
    {
        byte[] wide = [.. Encoding.ASCII.GetBytes("P5 2 1 65535\n"), 0xFF, 0xFF, 0x80, 0x00];
        using (Image<Rgb24> image = decoder.Decode(wide))
        {
            Assert.Equal(255, image[0, 0].R);
            Assert.Equal(128, image[1, 0].R);
        }

        byte[] narrow = [.. Encoding.ASCII.GetBytes("P5 2 1 15\n"), 15, 7];
        using Image<Rgb24> small = decoder.Decode(narrow);
        Assert.Equal(255, small[0, 0].R);
        Assert.Equal(119, small[1, 0].R);
    }

    [Fact]
    public void The_orl_faces_whose_raster_starts_with_a_hash_are_not_black()
    {
        // s24/4.pgm's first pixel byte is '#': ImageSharp 2.1.13 read it as a comment and decoded a black image.
        byte[] bytes = File.ReadAllBytes(TestPaths.OrlImage(24, 4));
        Assert.Equal((byte)'#', bytes[Encoding.ASCII.GetByteCount("P5\n92 112\n255\n")]);

        using Image<Rgb24> image = decoder.Decode(bytes);

        long sum = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (Rgb24 pixel in rows.GetRowSpan(y))
                {
                    sum += pixel.R;
                }
            }
        });
        Assert.True(sum / (92 * 112) > 20, $"mean grey {sum / (92 * 112)}");
        Assert.Equal(bytes[^1], image[91, 111].R);
    }
}
