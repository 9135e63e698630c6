namespace FacePipeline.Faces;

/// <summary>YuNet's four outputs at one stride, each row-major over the grid of (input / stride) cells.</summary>
/// <param name="Stride">Cell size in input pixels (8, 16 or 32).</param>
/// <param name="Scores">Class scores, one per cell (<c>cls_S</c>, [1, n, 1]).</param>
/// <param name="Objectness">Objectness, one per cell (<c>obj_S</c>, [1, n, 1]).</param>
/// <param name="Boxes">Box regressors, four per cell (<c>bbox_S</c>: dx, dy, log w, log h in cells).</param>
/// <param name="Keypoints">Landmark regressors, two per landmark per cell (<c>kps_S</c>, in cells).</param>
public sealed record YunetLevelOutput(int Stride, ReadOnlyMemory<float> Scores, ReadOnlyMemory<float> Objectness, ReadOnlyMemory<float> Boxes, ReadOnlyMemory<float> Keypoints);
