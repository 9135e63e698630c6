namespace FacePipeline.Head;

/// <summary>A head folder as read at one instant: every part comes from the same version, its hashes verified on these bytes.</summary>
/// <param name="Description">head.json.</param>
/// <param name="Labels">The label map, in class-index order.</param>
/// <param name="Weights">The bytes of the weights file (a TorchSharp state dict).</param>
public sealed record HeadSnapshot(HeadDescription Description, IReadOnlyList<string> Labels, byte[] Weights);
