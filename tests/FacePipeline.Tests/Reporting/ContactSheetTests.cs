using FacePipeline.Reporting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace FacePipeline.Tests.Reporting;

public sealed class ContactSheetTests
{
    [Fact]
    public void Tiles_land_in_a_grid_with_their_pixels()
    {
        var tiles = new[]
        {
            Solid(255, 0, 0, "red", "0.99"),
            Solid(0, 255, 0, "green", null),
            Solid(0, 0, 255, "a caption far too long to fit under its picture", "x"),
        };

        byte[] png = ContactSheet.RenderPng("three tiles", tiles, tileSizePx: 40, columns: 2);

        using Image<Rgb24> sheet = Image.Load<Rgb24>(png);
        Assert.True(sheet.Width >= 2 * 40);
        // Two columns → two rows; the centre of each 40 px square holds its tile's colour.
        Rgb24 red = sheet[6 + 20, 28 + 20];
        Rgb24 green = sheet[6 + 46 + 20, 28 + 20];
        Rgb24 blue = sheet[6 + 20, 28 + (40 + 29 + 6) + 20];
        Assert.True(red.R > 240 && red.G < 15 && red.B < 15, $"red tile reads {red}");
        Assert.True(green.G > 240 && green.R < 15 && green.B < 15, $"green tile reads {green}");
        Assert.True(blue.B > 240 && blue.R < 15 && blue.G < 15, $"blue tile reads {blue}");
        Assert.Equal(new Rgb24(255, 255, 255), sheet[sheet.Width - 2, sheet.Height - 2]);
    }

    [Fact]
    public void An_empty_sheet_still_renders()
    {
        byte[] png = ContactSheet.RenderPng("no faces", []);
        using Image<Rgb24> sheet = Image.Load<Rgb24>(png);
        Assert.True(sheet.Width > 0 && sheet.Height > 0);
    }

    [Fact]
    public void A_tile_whose_buffer_does_not_match_its_size_is_refused()
    {
        var bad = new ContactSheetTile(new byte[10], 4, 4, "bad");
        Assert.Throws<ArgumentException>(() => ContactSheet.RenderPng("t", [bad]));
    }

    private static ContactSheetTile Solid(byte r, byte g, byte b, string caption, string? detail)
    {
        const int width = 20;
        const int height = 10;
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = r;
            rgb[i + 1] = g;
            rgb[i + 2] = b;
        }

        return new ContactSheetTile(rgb, width, height, caption, detail);
    }
}
