namespace FacePipeline.Faces;

/// <summary>How overlapping candidates are reduced to one detection per face.</summary>
public enum NmsAlgorithm
{
    /// <summary>Keep the best-scoring box, drop those overlapping it (OpenCV's <c>dnn::NMSBoxes</c>).</summary>
    Hard,

    /// <summary>Replace each cluster by the score-weighted mean of its boxes and keypoints (MediaPipe's <c>WEIGHTED</c>).</summary>
    Weighted,
}
