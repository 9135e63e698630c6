namespace FacePipeline.Faces;

/// <summary>
/// The options of MediaPipe's <c>SsdAnchorsCalculator</c> (mediapipe/calculators/tflite/ssd_anchors_calculator.proto)
/// that BlazeFace's graphs set, with the same names in a detector description's <c>anchors</c> object.
/// </summary>
public sealed record SsdAnchorOptions
{
    /// <summary>Number of output feature layers (one per entry of <see cref="Strides"/>).</summary>
    public int NumLayers { get; init; }

    /// <summary>Smallest anchor scale.</summary>
    public float MinScale { get; init; }

    /// <summary>Largest anchor scale.</summary>
    public float MaxScale { get; init; }

    /// <summary>Model input width in pixels.</summary>
    public int InputSizeWidth { get; init; }

    /// <summary>Model input height in pixels.</summary>
    public int InputSizeHeight { get; init; }

    /// <summary>Anchor centre offset within a cell, in cells (0.5: the cell centre).</summary>
    public float AnchorOffsetX { get; init; } = 0.5f;

    /// <summary>Anchor centre offset within a cell, in cells (0.5: the cell centre).</summary>
    public float AnchorOffsetY { get; init; } = 0.5f;

    /// <summary>Stride of each layer in input pixels; consecutive layers with the same stride share one grid.</summary>
    public IReadOnlyList<int> Strides { get; init; } = [];

    /// <summary>Aspect ratios of the anchors of each layer.</summary>
    public IReadOnlyList<float> AspectRatios { get; init; } = [1f];

    /// <summary>Aspect ratio of the extra anchor between this layer's scale and the next (≤ 0: none).</summary>
    public float InterpolatedScaleAspectRatio { get; init; } = 1f;

    /// <summary>Whether every anchor has width and height 1 (BlazeFace: the regressors hold absolute sizes).</summary>
    public bool FixedAnchorSize { get; init; }
}
