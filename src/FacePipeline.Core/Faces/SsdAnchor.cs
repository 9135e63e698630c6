namespace FacePipeline.Faces;

/// <summary>One SSD anchor in normalised input coordinates (0–1), as MediaPipe's <c>Anchor</c> proto.</summary>
/// <param name="XCenter">Centre x over the input width.</param>
/// <param name="YCenter">Centre y over the input height.</param>
/// <param name="Width">Width over the input width (1 with a fixed anchor size).</param>
/// <param name="Height">Height over the input height (1 with a fixed anchor size).</param>
public readonly record struct SsdAnchor(float XCenter, float YCenter, float Width, float Height);
