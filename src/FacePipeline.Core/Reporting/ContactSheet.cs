using SkiaSharp;

namespace FacePipeline.Reporting;

/// <summary>
/// Draws pictures in a grid with captions as one PNG, so a person can check at a glance what a stage did (the face
/// crops the backbone received, the faces a head got wrong). Drawn with SkiaSharp, which ScottPlot already brings.
/// </summary>
public static class ContactSheet
{
    private const int PaddingPx = 6;
    private const float CaptionTextPx = 11f;
    private const float TitleTextPx = 14f;

    /// <summary>
    /// Renders <paramref name="tiles"/> in rows of <paramref name="columns"/>, each picture scaled to fit a
    /// <paramref name="tileSizePx"/> square (aspect ratio kept), under a title line.
    /// </summary>
    /// <returns>The PNG bytes.</returns>
    /// <exception cref="ArgumentException">A tile's pixel buffer does not match its size, or the sizes are not positive.</exception>
    public static byte[] RenderPng(string title, IReadOnlyList<ContactSheetTile> tiles, int tileSizePx = 112, int columns = 8)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSizePx, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        int shownColumns = Math.Max(1, Math.Min(columns, tiles.Count));
        int rows = (tiles.Count + shownColumns - 1) / shownColumns;
        int captionPx = (int)Math.Ceiling(CaptionTextPx * 2.6);
        int titlePx = (int)Math.Ceiling(TitleTextPx * 2);
        int cellWidth = tileSizePx + PaddingPx;
        int cellHeight = tileSizePx + captionPx + PaddingPx;
        int width = Math.Max(PaddingPx + shownColumns * cellWidth, 320);
        int height = titlePx + Math.Max(rows, 1) * cellHeight + PaddingPx;

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        SKCanvas canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var titleFont = new SKFont(SKTypeface.Default, TitleTextPx);
        using var captionFont = new SKFont(SKTypeface.Default, CaptionTextPx);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };
        canvas.DrawText(title, PaddingPx, TitleTextPx + PaddingPx, titleFont, ink);
        if (tiles.Count == 0)
        {
            canvas.DrawText("(none)", PaddingPx, titlePx + CaptionTextPx + PaddingPx, captionFont, grey);
        }

        using var sampling = new SKPaint { IsAntialias = true };
        for (int i = 0; i < tiles.Count; i++)
        {
            ContactSheetTile tile = tiles[i];
            int left = PaddingPx + i % shownColumns * cellWidth;
            int top = titlePx + i / shownColumns * cellHeight;
            using SKBitmap bitmap = ToBitmap(tile);
            float scale = Math.Min((float)tileSizePx / tile.WidthPx, (float)tileSizePx / tile.HeightPx);
            float drawnWidth = tile.WidthPx * scale;
            float drawnHeight = tile.HeightPx * scale;
            var target = SKRect.Create(left + (tileSizePx - drawnWidth) / 2, top + (tileSizePx - drawnHeight) / 2, drawnWidth, drawnHeight);
            using SKImage image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), sampling);
            canvas.DrawText(Fit(tile.Caption, captionFont, tileSizePx), left, top + tileSizePx + CaptionTextPx + 2, captionFont, ink);
            if (tile.Detail is not null)
            {
                canvas.DrawText(Fit(tile.Detail, captionFont, tileSizePx), left, top + tileSizePx + 2 * CaptionTextPx + 4, captionFont, grey);
            }
        }

        using SKImage snapshot = surface.Snapshot();
        using SKData png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static SKBitmap ToBitmap(ContactSheetTile tile)
    {
        if (tile.WidthPx < 1 || tile.HeightPx < 1 || tile.Rgb.Length != tile.WidthPx * tile.HeightPx * 3)
        {
            throw new ArgumentException($"tile '{tile.Caption}': expected {tile.WidthPx}x{tile.HeightPx}x3 RGB bytes, got {tile.Rgb.Length}", nameof(tile));
        }

        var bitmap = new SKBitmap(new SKImageInfo(tile.WidthPx, tile.HeightPx, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[tile.WidthPx * tile.HeightPx * 4];
        for (int pixel = 0, source = 0; source < tile.Rgb.Length; pixel += 4, source += 3)
        {
            rgba[pixel] = tile.Rgb[source];
            rgba[pixel + 1] = tile.Rgb[source + 1];
            rgba[pixel + 2] = tile.Rgb[source + 2];
            rgba[pixel + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    // Shortens a caption with an ellipsis so it stays under its picture.
    private static string Fit(string text, SKFont font, int widthPx)
    {
        if (font.MeasureText(text) <= widthPx)
        {
            return text;
        }

        for (int length = text.Length - 1; length > 0; length--)
        {
            string shortened = string.Concat(text.AsSpan(0, length), "…");
            if (font.MeasureText(shortened) <= widthPx)
            {
                return shortened;
            }
        }

        return "…";
    }
}
