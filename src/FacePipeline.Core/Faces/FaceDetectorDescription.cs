using System.Text.Json;
using FacePipeline.Backbones;
using FacePipeline.Imaging;

namespace FacePipeline.Faces;

/// <summary>
/// A face detector described by data: the JSON file beside its ONNX model (models/faces/*.json) that says how to feed
/// it, what its outputs are and how to decode them. See models/README.md for the fields.
/// </summary>
public sealed record FaceDetectorDescription
{
    /// <summary>Short name recorded with the features it helped to make (<c>yunet</c>, <c>blazeface-front</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Which published post-processing decodes the outputs.</summary>
    public required FaceDetectorKind Kind { get; init; }

    /// <summary>One line for people.</summary>
    public string? Summary { get; init; }

    /// <summary>Model file, relative to the description's folder.</summary>
    public required string Model { get; init; }

    /// <summary>The model input and how the image is placed into it.</summary>
    public required InputSpec Input { get; init; }

    /// <summary>The model's output tensor names.</summary>
    public required OutputsSpec Outputs { get; init; }

    /// <summary>Landmark names in the model's output order (see <see cref="FaceLandmarkNames"/>).</summary>
    public IReadOnlyList<string> Keypoints { get; init; } = [];

    /// <summary>YuNet: the stride of each output level, in input pixels, in the order of the output names.</summary>
    public IReadOnlyList<int> Strides { get; init; } = [];

    /// <summary>BlazeFace: the SSD anchor options of its MediaPipe graph.</summary>
    public SsdAnchorOptions? Anchors { get; init; }

    /// <summary>BlazeFace: the box decoding options of its MediaPipe graph.</summary>
    public BoxDecodingSpec? BoxDecoding { get; init; }

    /// <summary>Faces scoring below this are dropped before NMS.</summary>
    public float ScoreThreshold { get; init; } = 0.5f;

    /// <summary>Non-maximum suppression.</summary>
    public NmsSpec Nms { get; init; } = new();

    /// <summary>Reads and checks a description file.</summary>
    /// <exception cref="FacePipelineException">The file is missing, not valid JSON or incomplete.</exception>
    public static FaceDetectorDescription Load(string jsonPath)
    {
        FaceDetectorDescription? description;
        try
        {
            description = JsonSerializer.Deserialize<FaceDetectorDescription>(File.ReadAllText(jsonPath), BackboneDescription.JsonOptions);
        }
        catch (JsonException error)
        {
            throw new FacePipelineException($"{jsonPath}: not a valid face detector description ({error.Message})");
        }
        catch (IOException error)
        {
            throw new FacePipelineException($"{jsonPath}: cannot read face detector description ({error.Message})");
        }

        if (description is null)
        {
            throw new FacePipelineException($"{jsonPath}: empty face detector description");
        }

        description.Validate(jsonPath);
        return description;
    }

    private void Validate(string jsonPath)
    {
        if (Input.Width <= 0 || Input.Height <= 0)
        {
            throw new FacePipelineException($"{jsonPath}: input.width and input.height must be positive");
        }

        if (Outputs.Scores.Count == 0 || Outputs.Boxes.Count != Outputs.Scores.Count)
        {
            throw new FacePipelineException($"{jsonPath}: outputs.scores and outputs.boxes must name the same number of tensors");
        }

        if (Kind == FaceDetectorKind.Yunet
            && (Strides.Count != Outputs.Scores.Count || Outputs.Objectness.Count != Strides.Count || Outputs.Keypoints.Count != Strides.Count))
        {
            throw new FacePipelineException($"{jsonPath}: a yunet detector needs one stride and one scores/objectness/boxes/keypoints output per level");
        }

        if (Kind == FaceDetectorKind.Blazeface && (Anchors is null || BoxDecoding is null))
        {
            throw new FacePipelineException($"{jsonPath}: a blazeface detector needs anchors and box_decoding");
        }

        if (ScoreThreshold is < 0 or > 1 || Nms.IouThreshold is < 0 or > 1)
        {
            throw new FacePipelineException($"{jsonPath}: score_threshold and nms.iou_threshold must lie in [0, 1]");
        }
    }

    /// <summary>The model input.</summary>
    public sealed record InputSpec
    {
        /// <summary>Input name; null means the model's only input.</summary>
        public string? Name { get; init; }

        /// <summary>Tensor layout.</summary>
        public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

        /// <summary>Input width in pixels.</summary>
        public int Width { get; init; }

        /// <summary>Input height in pixels.</summary>
        public int Height { get; init; }

        /// <summary>Order of the colour channels in the tensor.</summary>
        public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

        /// <summary>Each tensor value is <c>pixel × scale + offset</c> for a 0–255 pixel value.</summary>
        public float Scale { get; init; } = 1f;

        /// <summary>Added after scaling (−1 with scale 1/127.5 gives MediaPipe's [−1, 1]).</summary>
        public float Offset { get; init; }

        /// <summary>How the image is placed into the input canvas (aspect ratio always kept; padding is black).</summary>
        public LetterboxSpec Letterbox { get; init; } = new();
    }

    /// <summary>How the image is placed into the input canvas.</summary>
    public sealed record LetterboxSpec
    {
        /// <summary>Whether small images are enlarged to fill the canvas (false: padded at their own size).</summary>
        public bool Upscale { get; init; } = true;

        /// <summary>Where the scaled image sits in the canvas.</summary>
        public LetterboxAnchor Anchor { get; init; } = LetterboxAnchor.Center;
    }

    /// <summary>The model's output tensor names; lists hold one name per level, concatenated in order.</summary>
    public sealed record OutputsSpec
    {
        /// <summary>Score tensors (YuNet <c>cls_*</c>; BlazeFace score logits).</summary>
        public IReadOnlyList<string> Scores { get; init; } = [];

        /// <summary>YuNet objectness tensors (<c>obj_*</c>).</summary>
        public IReadOnlyList<string> Objectness { get; init; } = [];

        /// <summary>Box regressor tensors (YuNet <c>bbox_*</c>; BlazeFace boxes and keypoints together).</summary>
        public IReadOnlyList<string> Boxes { get; init; } = [];

        /// <summary>YuNet keypoint tensors (<c>kps_*</c>).</summary>
        public IReadOnlyList<string> Keypoints { get; init; } = [];
    }

    /// <summary>MediaPipe <c>TensorsToDetectionsCalculatorOptions</c> for box decoding (reverse_output_order: x first).</summary>
    public sealed record BoxDecodingSpec
    {
        /// <summary>Divides x offsets (the input width).</summary>
        public float XScale { get; init; }

        /// <summary>Divides y offsets (the input height).</summary>
        public float YScale { get; init; }

        /// <summary>Divides widths (the input width).</summary>
        public float WScale { get; init; }

        /// <summary>Divides heights (the input height).</summary>
        public float HScale { get; init; }

        /// <summary>Score logits are clipped to ±this before the sigmoid.</summary>
        public float ScoreClippingThresh { get; init; } = 100f;
    }

    /// <summary>Non-maximum suppression options.</summary>
    public sealed record NmsSpec
    {
        /// <summary>Hard (OpenCV) or weighted (MediaPipe).</summary>
        public NmsAlgorithm Algorithm { get; init; } = NmsAlgorithm.Hard;

        /// <summary>Overlap (IoU) above which candidates are suppressed or merged.</summary>
        public float IouThreshold { get; init; } = 0.3f;

        /// <summary>Keep at most this many faces (0: no limit).</summary>
        public int TopK { get; init; }
    }
}
