namespace FacePipeline.FeatureCache;

/// <summary>Where the face of a cached row was found: its box and landmarks in the original image's pixels, and the detector's score.</summary>
/// <param name="X">Left edge of the box, pixels.</param>
/// <param name="Y">Top edge of the box, pixels.</param>
/// <param name="Width">Box width, pixels.</param>
/// <param name="Height">Box height, pixels.</param>
/// <param name="Landmarks">Flat x,y pairs, pixels, in the detector's keypoint order.</param>
/// <param name="Score">Detector score, 0–1.</param>
public sealed record CachedFace(float X, float Y, float Width, float Height, IReadOnlyList<float> Landmarks, float Score);
