using FacePipeline.Dataset;
using FacePipeline.FeatureCache;

namespace FacePipeline.Extraction;

/// <summary>An image (or one face of it) after the backbone: its features, or why it was skipped.</summary>
/// <param name="Image">The image.</param>
/// <param name="Sha256">SHA-256 of the bytes that were decoded (empty when the file could not be read).</param>
/// <param name="Features">Flattened features, or null when skipped.</param>
/// <param name="Failure">Why it was skipped, or null.</param>
/// <param name="FaceIndex">Which face of the image (0 = the one Extract keeps; more only when every face was asked for).</param>
/// <param name="Face">Where the face was, under a detecting face stage; null for whole images and failures.</param>
/// <param name="Crop">What the backbone received (or, for an image without a face, a thumbnail of it); null when nothing was decoded.</param>
/// <param name="NoFace">Whether the image decoded but the face stage found no face in it.</param>
public sealed record FeaturizedImage(
    LabelledImage Image,
    string Sha256,
    float[]? Features,
    string? Failure,
    int FaceIndex = 0,
    Faces.DetectedFace? Face = null,
    FaceCrop? Crop = null,
    bool NoFace = false);
