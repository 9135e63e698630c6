namespace FacePipeline.Faces;

/// <summary>Where the resized image sits inside the detector's input canvas.</summary>
public enum LetterboxAnchor
{
    /// <summary>At the top-left corner, padded right and bottom (OpenCV's <c>FaceDetectorYN</c> pads that way).</summary>
    TopLeft,

    /// <summary>Centred, padded equally on both sides (MediaPipe's <c>ImageToTensorCalculator</c> with <c>keep_aspect_ratio</c>).</summary>
    Center,
}
