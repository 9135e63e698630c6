using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;

namespace FacePipeline.Tests.Imaging;

/// <summary>
/// Photos are decoded as a viewer shows them: EXIF orientation applied (a real face stored sideways decodes upright),
/// animated images and fully transparent ones refused, partly transparent ones laid over white.
/// </summary>
public sealed class ImageOrientationTests
{
    private static readonly Preprocessing Size112 = new() { WidthPx = 112, HeightPx = 112 };
    private readonly ImageDecoder decoder = new();

    [Theory]
    [InlineData(3, RotateMode.Rotate180)]
    [InlineData(6, RotateMode.Rotate270)]
    [InlineData(8, RotateMode.Rotate90)]
    public void A_face_stored_sideways_with_its_exif_orientation_decodes_upright(ushort orientation, RotateMode stored)
    {
        using Image<Rgb24> upright = decoder.Decode(File.ReadAllBytes(TestPaths.OrlImage(1, 1)));
        using Image<Rgb24> sideways = upright.Clone(context => context.Rotate(stored));
        sideways.Metadata.ExifProfile = new ExifProfile();
        sideways.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        using var encoded = new MemoryStream();
        sideways.SaveAsPng(encoded);
        byte[] bytes = encoded.ToArray();

        using Image<Rgb24> decoded = decoder.Decode(bytes);

        Assert.Equal((upright.Width, upright.Height), (decoded.Width, decoded.Height));
        Assert.Equal(Pixels(upright), Pixels(decoded));
        using var uprightPng = new MemoryStream();
        upright.SaveAsPng(uprightPng);
        Assert.Equal(decoder.DecodeResized(uprightPng.ToArray(), Size112), decoder.DecodeResized(bytes, Size112));
    }

    [Fact]
    public void An_animated_gif_is_refused_with_its_frame_count()
    {
        using var animation = new Image<Rgb24>(8, 8, new Rgb24(200, 10, 10));
        using var second = new Image<Rgb24>(8, 8, new Rgb24(10, 200, 10));
        animation.Frames.AddFrame(second.Frames.RootFrame);
        using var encoded = new MemoryStream();
        animation.Save(encoded, new GifEncoder());

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(encoded.ToArray()));

        Assert.Equal("animated image (2 frames): which frame shows the person is unknown; save that frame as a still image", error.Message);
    }

    [Fact]
    public void A_fully_transparent_png_is_refused_and_a_partly_transparent_one_lies_on_white()
    {
        using var hidden = new Image<Rgba32>(4, 4, new Rgba32(255, 0, 0, 0));
        using var half = new Image<Rgba32>(2, 1, new Rgba32(0, 0, 0, 255));
        half[1, 0] = new Rgba32(0, 0, 0, 0);

        ImageDecodeException error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(Png(hidden)));
        using Image<Rgb24> decoded = decoder.Decode(Png(half));

        Assert.Equal("fully transparent image: nothing is visible in it", error.Message);
        Assert.Equal(new Rgb24(0, 0, 0), decoded[0, 0]);
        Assert.Equal(new Rgb24(255, 255, 255), decoded[1, 0]);
    }

    private static byte[] Png(Image<Rgba32> image)
    {
        using var encoded = new MemoryStream();
        image.SaveAsPng(encoded);
        return encoded.ToArray();
    }

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }
}
