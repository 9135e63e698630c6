using FacePipeline.Dataset;

namespace FacePipeline.Extraction;

/// <summary>An image to featurize, with the SHA-256 its bytes were hashed to.</summary>
/// <param name="Image">The image.</param>
/// <param name="Sha256">
/// Lower-case hex SHA-256 the bytes must still have when decoded (a changed file fails instead of caching features
/// under the old hash), or null to accept any bytes (prediction).
/// </param>
public sealed record HashedImage(LabelledImage Image, string? Sha256);
