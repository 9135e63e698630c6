namespace FacePipeline.Faces;

/// <summary>A named landmark of a detected face, in pixels.</summary>
/// <param name="Name">One of <see cref="FaceLandmarkNames"/>.</param>
/// <param name="Point">Where it is.</param>
public readonly record struct FaceLandmark(string Name, FacePoint Point);
