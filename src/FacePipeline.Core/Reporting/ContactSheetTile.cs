namespace FacePipeline.Reporting;

/// <summary>One picture of a contact sheet with up to two caption lines under it.</summary>
/// <param name="Rgb">Interleaved 8-bit RGB pixels, row-major, <paramref name="WidthPx"/> × <paramref name="HeightPx"/> × 3.</param>
/// <param name="WidthPx">Width of the picture in pixels.</param>
/// <param name="HeightPx">Height of the picture in pixels.</param>
/// <param name="Caption">First caption line (e.g. the label).</param>
/// <param name="Detail">Second caption line (e.g. a score), or null.</param>
public sealed record ContactSheetTile(byte[] Rgb, int WidthPx, int HeightPx, string Caption, string? Detail = null);
