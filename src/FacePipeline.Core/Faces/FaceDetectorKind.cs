namespace FacePipeline.Faces;

/// <summary>Which published post-processing decodes a detector's outputs.</summary>
public enum FaceDetectorKind
{
    /// <summary>OpenCV's YuNet (<c>FaceDetectorYN</c>): anchor-free, one prior per grid cell at strides 8/16/32.</summary>
    Yunet,

    /// <summary>MediaPipe BlazeFace: SSD anchors, sigmoid scores, weighted non-maximum suppression.</summary>
    Blazeface,
}
