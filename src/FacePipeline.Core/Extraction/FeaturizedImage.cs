using FacePipeline.Dataset;

namespace FacePipeline.Extraction;

/// <summary>An image after the backbone: its features, or why it was skipped.</summary>
/// <param name="Image">The image.</param>
/// <param name="Sha256">SHA-256 of the bytes that were decoded (empty when the file could not be read).</param>
/// <param name="Features">Flattened features, or null when skipped.</param>
/// <param name="Failure">Why it was skipped, or null.</param>
public sealed record FeaturizedImage(LabelledImage Image, string Sha256, float[]? Features, string? Failure);
