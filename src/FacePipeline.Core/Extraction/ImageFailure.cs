namespace FacePipeline.Extraction;

/// <summary>An image that was skipped, and why.</summary>
/// <param name="Path">Path relative to the image set's root.</param>
/// <param name="Reason">What was wrong, for a person.</param>
public sealed record ImageFailure(string Path, string Reason);
