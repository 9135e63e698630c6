namespace FacePipeline.FeatureCache;

/// <summary>One cached image: its key, label, split, content hash and flattened feature vector.</summary>
/// <param name="Path">Path relative to the image set's root.</param>
/// <param name="Label">The person.</param>
/// <param name="Split">Free-text split (<c>train</c>, <c>val</c>, <c>test</c>) or null.</param>
/// <param name="Sha256">SHA-256 of the image file's bytes.</param>
/// <param name="Features">Flattened float32 features.</param>
/// <param name="Face">Where the face was, for rows made under a detecting face stage; null for whole images.</param>
public sealed record FeatureRow(string Path, string Label, string? Split, string Sha256, float[] Features, Faces.DetectedFace? Face = null);
