using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Imaging;

namespace FacePipeline.Backbones;

/// <summary>
/// A backbone described by data: the JSON file beside an ONNX model that says how to feed it and what it returns.
/// See models/README.md for the fields.
/// </summary>
public sealed record BackboneDescription
{
    /// <summary>Short name recorded in caches and heads (e.g. <c>resnet18</c>).</summary>
    public required string Name { get; init; }

    /// <summary>One line for people.</summary>
    public string? Summary { get; init; }

    /// <summary>What the weights were trained on (e.g. <c>imagenet</c>), or <c>none</c> for test networks.</summary>
    public string? Pretrained { get; init; }

    /// <summary>Model file, relative to the description's folder.</summary>
    public required string Model { get; init; }

    /// <summary>The model input.</summary>
    public required InputSpec Input { get; init; }

    /// <summary>Preprocessing applied before the model.</summary>
    public required PreprocessingSpec Preprocessing { get; init; }

    /// <summary>The model output used as the feature.</summary>
    public required OutputSpec Output { get; init; }

    /// <summary>
    /// Name of the landmark template the network was trained on (e.g. <c>arcface-112</c>, the ArcFace 112×112 five
    /// points), which the face stage aligns to; null = generic face geometry (ImageNet backbones).
    /// </summary>
    public string? FaceTemplate { get; init; }

    /// <summary>Images per inference batch that runs fastest for this network; null = the programs' default.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Number of floats per image in the (flattened) feature.</summary>
    public int FeatureLength => Output.Pooling == FeaturePooling.Avg
        ? Output.Shape[Input.Layout == TensorLayout.Nhwc ? Output.Shape.Count - 1 : 0]
        : Output.Shape.Aggregate(1, (product, dim) => product * dim);

    /// <summary>Shape of one image's feature as stored (after pooling).</summary>
    public IReadOnlyList<int> FeatureShape => Output.Pooling == FeaturePooling.Avg ? [FeatureLength] : Output.Shape;

    /// <summary>JSON options for description files: snake_case names, enums as lower-case strings.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>Reads and checks a description file.</summary>
    /// <exception cref="BackboneException">The file is missing, not valid JSON or incomplete.</exception>
    public static BackboneDescription Load(string jsonPath)
    {
        BackboneDescription? description;
        try
        {
            description = JsonSerializer.Deserialize<BackboneDescription>(File.ReadAllText(jsonPath), JsonOptions);
        }
        catch (JsonException error)
        {
            throw new BackboneException($"{jsonPath}: not a valid backbone description ({error.Message})");
        }
        catch (IOException error)
        {
            throw new BackboneException($"{jsonPath}: cannot read backbone description ({error.Message})");
        }

        if (description is null)
        {
            throw new BackboneException($"{jsonPath}: empty backbone description");
        }

        description.Validate(jsonPath);
        return description;
    }

    private void Validate(string jsonPath)
    {
        if (Input.Width <= 0 || Input.Height <= 0 || Input.Channels != 3)
        {
            throw new BackboneException($"{jsonPath}: input must be 3 channels with positive width and height");
        }

        if (Output.Shape.Count == 0 || Output.Shape.Any(dim => dim <= 0))
        {
            throw new BackboneException($"{jsonPath}: output.shape must list the positive per-image dimensions");
        }

        if (BatchSize is < 1)
        {
            throw new BackboneException($"{jsonPath}: batch_size must be at least 1");
        }

        if (FaceTemplate is not null && string.IsNullOrWhiteSpace(FaceTemplate))
        {
            throw new BackboneException($"{jsonPath}: face_template must name a template or be null");
        }

        if (Preprocessing.Mean is { Count: not 3 } || Preprocessing.Std is { Count: not 3 })
        {
            throw new BackboneException($"{jsonPath}: preprocessing.mean and preprocessing.std need 3 values");
        }
    }

    /// <summary>The model input.</summary>
    public sealed record InputSpec
    {
        /// <summary>Input name; null means the model's only input.</summary>
        public string? Name { get; init; }

        /// <summary>Tensor layout.</summary>
        public TensorLayout Layout { get; init; } = Imaging.Preprocessing.DefaultLayout;

        /// <summary>Width in pixels.</summary>
        public int Width { get; init; }

        /// <summary>Height in pixels.</summary>
        public int Height { get; init; }

        /// <summary>Colour channels (3).</summary>
        public int Channels { get; init; } = 3;
    }

    /// <summary>Preprocessing as written in the description.</summary>
    public sealed record PreprocessingSpec
    {
        /// <summary>How the image reaches the input size.</summary>
        public ResizeMode Resize { get; init; } = Imaging.Preprocessing.DefaultResize;

        /// <summary>Channel order of the tensor.</summary>
        public ChannelOrder ChannelOrder { get; init; } = Imaging.Preprocessing.DefaultChannelOrder;

        /// <summary>Factor applied to 0–255 pixel values.</summary>
        public float Scale { get; init; } = Imaging.Preprocessing.DefaultScale;

        /// <summary>Per-channel mean in tensor channel order.</summary>
        public IReadOnlyList<float>? Mean { get; init; }

        /// <summary>Per-channel standard deviation in tensor channel order.</summary>
        public IReadOnlyList<float>? Std { get; init; }

        /// <summary>A per-pixel mean image stored as an initializer of an ONNX file.</summary>
        public MeanImageSpec? MeanImage { get; init; }
    }

    /// <summary>Where a per-pixel mean image lives.</summary>
    public sealed record MeanImageSpec
    {
        /// <summary>ONNX file, relative to the description's folder.</summary>
        public required string Onnx { get; init; }

        /// <summary>Initializer name inside it ([1,3,H,W] float).</summary>
        public required string Initializer { get; init; }
    }

    /// <summary>The model output used as the feature.</summary>
    public sealed record OutputSpec
    {
        /// <summary>Output name; null means the model's only output.</summary>
        public string? Name { get; init; }

        /// <summary>Per-image output dimensions (without the batch dimension).</summary>
        public IReadOnlyList<int> Shape { get; init; } = [];

        /// <summary>Pooling applied to the output before caching.</summary>
        public FeaturePooling Pooling { get; init; } = FeaturePooling.None;

        /// <summary>Normalisation applied to each pooled feature vector (part of the backbone identity).</summary>
        public FeatureNormalization Normalize { get; init; } = FeatureNormalization.None;
    }
}
