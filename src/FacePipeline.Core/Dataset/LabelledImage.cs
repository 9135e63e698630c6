namespace FacePipeline.Dataset;

/// <summary>One image of an image set.</summary>
/// <param name="Path">Path relative to the set's root (forward slashes), the key in caches and reports.</param>
/// <param name="FullPath">Absolute path on this machine.</param>
/// <param name="Label">The person (folder name or manifest label); null when unknown (prediction on loose files).</param>
/// <param name="Split">Free-text split from a manifest (<c>train</c>, <c>val</c>, <c>test</c>), or null.</param>
public sealed record LabelledImage(string Path, string FullPath, string? Label, string? Split);
