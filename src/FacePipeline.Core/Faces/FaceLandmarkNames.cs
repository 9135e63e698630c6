namespace FacePipeline.Faces;

/// <summary>
/// The landmark names used by detector descriptions and face geometries. "Right" and "left" are the person's own
/// (as YuNet, MediaPipe and ArcFace name them): in an unmirrored photo the right eye is on the image's left.
/// </summary>
public static class FaceLandmarkNames
{
    /// <summary>Centre of the person's right eye.</summary>
    public const string RightEye = "right_eye";

    /// <summary>Centre of the person's left eye.</summary>
    public const string LeftEye = "left_eye";

    /// <summary>Tip of the nose.</summary>
    public const string NoseTip = "nose_tip";

    /// <summary>Right corner of the mouth (the person's right).</summary>
    public const string RightMouthCorner = "right_mouth_corner";

    /// <summary>Left corner of the mouth (the person's left).</summary>
    public const string LeftMouthCorner = "left_mouth_corner";

    /// <summary>Centre of the mouth (BlazeFace; the midpoint of the two corners in a five-point template).</summary>
    public const string MouthCenter = "mouth_center";

    /// <summary>Right ear tragion (BlazeFace).</summary>
    public const string RightEarTragion = "right_ear_tragion";

    /// <summary>Left ear tragion (BlazeFace).</summary>
    public const string LeftEarTragion = "left_ear_tragion";

    /// <summary>The canonical five points, in YuNet's and ArcFace's order.</summary>
    public static IReadOnlyList<string> FivePoint { get; } = [RightEye, LeftEye, NoseTip, RightMouthCorner, LeftMouthCorner];
}
