namespace FacePipeline.Extraction;

/// <summary>Pixels for people to look at: the crop exactly as the backbone received it, or a thumbnail of an image without a face.</summary>
/// <param name="Rgb">Interleaved RGB bytes, <paramref name="WidthPx"/> × <paramref name="HeightPx"/> × 3.</param>
/// <param name="WidthPx">Width in pixels.</param>
/// <param name="HeightPx">Height in pixels.</param>
public sealed record FaceCrop(byte[] Rgb, int WidthPx, int HeightPx);
