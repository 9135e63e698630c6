namespace FacePipeline.Faces;

/// <summary>
/// How an image was placed into a detector's input canvas: scaled by one factor (aspect ratio kept) and offset by
/// the padding. Maps detector coordinates back to image pixels.
/// </summary>
/// <param name="ScaleX">Canvas pixels per image pixel horizontally (the resized width over the image width).</param>
/// <param name="ScaleY">Canvas pixels per image pixel vertically (equal to <paramref name="ScaleX"/> up to rounding).</param>
/// <param name="OffsetX">Canvas x of the image's left edge.</param>
/// <param name="OffsetY">Canvas y of the image's top edge.</param>
/// <param name="ResizedWidth">Width of the scaled image inside the canvas, in canvas pixels.</param>
/// <param name="ResizedHeight">Height of the scaled image inside the canvas, in canvas pixels.</param>
public sealed record Letterbox(float ScaleX, float ScaleY, int OffsetX, int OffsetY, int ResizedWidth, int ResizedHeight)
{
    /// <summary>
    /// Plans the placement of a <paramref name="imageWidth"/>×<paramref name="imageHeight"/> image into a
    /// <paramref name="canvasWidth"/>×<paramref name="canvasHeight"/> canvas.
    /// </summary>
    /// <param name="imageWidth">Image width in pixels.</param>
    /// <param name="imageHeight">Image height in pixels.</param>
    /// <param name="canvasWidth">Detector input width.</param>
    /// <param name="canvasHeight">Detector input height.</param>
    /// <param name="upscale">
    /// Whether a small image is enlarged to fill the canvas. YuNet detects faces of about 10–300 px, so small images
    /// are padded, never upscaled; MediaPipe always scales the image to the tensor size.
    /// </param>
    /// <param name="anchor">Where the scaled image sits.</param>
    public static Letterbox Plan(int imageWidth, int imageHeight, int canvasWidth, int canvasHeight, bool upscale, LetterboxAnchor anchor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        float scale = Math.Min((float)canvasWidth / imageWidth, (float)canvasHeight / imageHeight);
        if (!upscale)
        {
            scale = Math.Min(scale, 1f);
        }

        int width = Math.Clamp((int)MathF.Round(imageWidth * scale), 1, canvasWidth);
        int height = Math.Clamp((int)MathF.Round(imageHeight * scale), 1, canvasHeight);
        (int offsetX, int offsetY) = anchor == LetterboxAnchor.Center ? ((canvasWidth - width) / 2, (canvasHeight - height) / 2) : (0, 0);
        return new Letterbox((float)width / imageWidth, (float)height / imageHeight, offsetX, offsetY, width, height);
    }

    /// <summary>Maps a canvas point back to image pixels.</summary>
    public FacePoint ToImage(FacePoint canvasPoint) => new((canvasPoint.X - OffsetX) / ScaleX, (canvasPoint.Y - OffsetY) / ScaleY);

    /// <summary>Maps a face found on the canvas back to image pixels.</summary>
    public DetectedFace ToImage(DetectedFace canvasFace)
    {
        ArgumentNullException.ThrowIfNull(canvasFace);
        return canvasFace.MapPoints(ToImage);
    }
}
