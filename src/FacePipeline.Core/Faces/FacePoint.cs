namespace FacePipeline.Faces;

/// <summary>A point in pixels (x to the right, y down; pixel centres at integer coordinates, as in OpenCV).</summary>
/// <param name="X">Horizontal coordinate in pixels.</param>
/// <param name="Y">Vertical coordinate in pixels.</param>
public readonly record struct FacePoint(float X, float Y);
