using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace FacePipeline.Fixtures;

/// <summary>
/// ONNX models generated in code for tests and benchmarks. Both networks have the input/output
/// contract of the Keras VGG16-notop export (<c>models/vgg16-notop.onnx</c>): one float input
/// <c>input_1</c> of shape [N,224,224,3] (NHWC, "caffe" preprocessed pixels) and one float output
/// <c>block5_pool</c> of shape [N,7,7,512] (NHWC), with a symbolic batch dimension "N".
/// Their weights are seeded random numbers: they are NOT pretrained and give no meaningful features.
/// </summary>
public static class OnnxFixtureModels
{
    /// <summary>Name of the single input, as in the Keras VGG16-notop export.</summary>
    public const string InputName = "input_1";

    /// <summary>Name of the single output, as in the Keras VGG16-notop export.</summary>
    public const string OutputName = "block5_pool";

    /// <summary>Name of the symbolic batch dimension of the input and the output.</summary>
    public const string BatchDimName = "N";

    /// <summary>Input image side (width and height).</summary>
    public const int ImageSize = 224;

    /// <summary>Input channels.</summary>
    public const int ImageChannels = 3;

    /// <summary>Output feature map side (width and height).</summary>
    public const int FeatureSize = 7;

    /// <summary>Output feature channels.</summary>
    public const int FeatureChannels = 512;

    /// <summary>ONNX opset the fixtures are written for.</summary>
    public const int Opset = 17;

    /// <summary>Label stored in the doc strings and metadata of <see cref="VggNotopContract"/>.</summary>
    public const string ContractLabel = "test fixture: random weights, NOT pretrained";

    /// <summary>Label stored in the doc strings and metadata of <see cref="Vgg16NotopArchitecture"/>.</summary>
    public const string ArchitectureLabel = "benchmark network: VGG16-notop architecture with seeded random weights, NOT pretrained";

    /// <summary>The VGG16-notop blocks: output channels of each 3×3 convolution; a 2×2 max pool ends each block.</summary>
    private static readonly int[][] Vgg16Blocks =
    [
        [64, 64],
        [128, 128],
        [256, 256, 256],
        [512, 512, 512],
        [512, 512, 512],
    ];

    /// <summary>
    /// A small, cheap network with the VGG16-notop input/output contract:
    /// Transpose (NHWC→NCHW) → AveragePool 32×32 stride 32 → [N,3,7,7] → Conv 1×1 (3→512, seeded weights and bias)
    /// → Relu → Transpose (NCHW→NHWC) → [N,7,7,512]. About 0.2 MFLOP per image, and every output depends on
    /// the 32×32 block of input pixels under it, so different images give different features.
    /// </summary>
    /// <param name="seed">Seed of the <see cref="Random"/> that draws the weights; the same seed gives the same bytes.</param>
    /// <returns>The serialized <c>ModelProto</c>.</returns>
    public static byte[] VggNotopContract(int seed = 42)
    {
        var random = new Random(seed);
        const int pool = ImageSize / FeatureSize; // 32

        // Caffe-preprocessed pixels are roughly within ±128, and a 32×32 average of a face image is typically
        // tens away from the channel mean; scale the weights so features come out of order 1 like real ones.
        var weights = new float[FeatureChannels * ImageChannels];
        FillNormal(random, weights, 1.0 / (Math.Sqrt(ImageChannels) * 32.0));
        var bias = new float[FeatureChannels];
        FillNormal(random, bias, 0.5);

        var graph = new GraphProto
        {
            Name = "vgg16_notop_contract_fixture",
            DocString = ContractLabel,
        };
        graph.Input.Add(FeatureValueInfo(InputName, ImageSize, ImageSize, ImageChannels));
        graph.Output.Add(FeatureValueInfo(OutputName, FeatureSize, FeatureSize, FeatureChannels));
        graph.Initializer.Add(FloatTensor("conv_W", [FeatureChannels, ImageChannels, 1, 1], weights));
        graph.Initializer.Add(FloatTensor("conv_B", [FeatureChannels], bias));

        graph.Node.Add(Node("Transpose", "to_nchw", [InputName], ["x_nchw"], IntsAttribute("perm", 0, 3, 1, 2)));
        graph.Node.Add(Node(
            "AveragePool", "block_average", ["x_nchw"], ["x_pooled"],
            IntsAttribute("kernel_shape", pool, pool),
            IntsAttribute("strides", pool, pool)));
        graph.Node.Add(Node(
            "Conv", "project", ["x_pooled", "conv_W", "conv_B"], ["x_projected"],
            IntsAttribute("kernel_shape", 1, 1)));
        graph.Node.Add(Node("Relu", "relu", ["x_projected"], ["x_relu"]));
        graph.Node.Add(Node("Transpose", "to_nhwc", ["x_relu"], [OutputName], IntsAttribute("perm", 0, 2, 3, 1)));

        return Model(graph, ContractLabel, "vgg16-notop-contract-fixture", seed).ToByteArray();
    }

    /// <summary>Writes <see cref="VggNotopContract"/> to <paramref name="path"/>.</summary>
    /// <param name="path">File to create or overwrite.</param>
    /// <param name="seed">Seed of the weights.</param>
    public static void WriteVggNotopContract(string path, int seed = 42) =>
        File.WriteAllBytes(path, VggNotopContract(seed));

    /// <summary>
    /// The exact VGG16-notop architecture (Keras <c>VGG16(include_top=False)</c>): 13 convolutions 3×3 pad 1 + ReLU
    /// in blocks of 2, 2, 3, 3, 3 with 64, 128, 256, 512, 512 channels, each block ending in a 2×2 stride 2 max pool;
    /// NHWC input [N,224,224,3] and NHWC output [N,7,7,512] (a Transpose at each end). 14,714,688 parameters
    /// (≈59 MB) drawn He-uniform (the variance of He-normal) from a seeded <see cref="Random"/>, the first layer scaled down further for
    /// caffe-preprocessed (±128) pixels; biases are zero. About 15.5 GMAC (≈31 GFLOP) per image.
    /// </summary>
    /// <param name="seed">Seed of the <see cref="Random"/> that draws the weights; the same seed gives the same bytes.</param>
    /// <returns>The serialized <c>ModelProto</c> (about 59 MB).</returns>
    public static byte[] Vgg16NotopArchitecture(int seed = 42)
    {
        var random = new Random(seed);
        var graph = new GraphProto
        {
            Name = "vgg16_notop_random",
            DocString = ArchitectureLabel,
        };
        graph.Input.Add(FeatureValueInfo(InputName, ImageSize, ImageSize, ImageChannels));
        graph.Output.Add(FeatureValueInfo(OutputName, FeatureSize, FeatureSize, FeatureChannels));

        graph.Node.Add(Node("Transpose", "to_nchw", [InputName], ["x_nchw"], IntsAttribute("perm", 0, 3, 1, 2)));
        var current = "x_nchw";
        var inChannels = ImageChannels;
        for (var block = 0; block < Vgg16Blocks.Length; block++)
        {
            for (var layer = 0; layer < Vgg16Blocks[block].Length; layer++)
            {
                var outChannels = Vgg16Blocks[block][layer];
                var name = string.Create(CultureInfo.InvariantCulture, $"block{block + 1}_conv{layer + 1}");
                var fanIn = inChannels * 9;
                var std = Math.Sqrt(2.0 / fanIn);
                if (block == 0 && layer == 0)
                {
                    std /= 64.0; // inputs are caffe-preprocessed pixels (roughly ±128), not unit-scale values
                }

                var weights = new float[outChannels * inChannels * 9];
                FillUniform(random, weights, std);
                graph.Initializer.Add(FloatTensor(name + "_W", [outChannels, inChannels, 3, 3], weights));
                graph.Initializer.Add(FloatTensor(name + "_B", [outChannels], new float[outChannels]));
                graph.Node.Add(Node(
                    "Conv", name, [current, name + "_W", name + "_B"], [name + "_conv"],
                    IntsAttribute("kernel_shape", 3, 3),
                    IntsAttribute("pads", 1, 1, 1, 1),
                    IntsAttribute("strides", 1, 1)));
                graph.Node.Add(Node("Relu", name + "_relu", [name + "_conv"], [name]));
                current = name;
                inChannels = outChannels;
            }

            var poolName = string.Create(CultureInfo.InvariantCulture, $"block{block + 1}_pool_nchw");
            graph.Node.Add(Node(
                "MaxPool", poolName, [current], [poolName],
                IntsAttribute("kernel_shape", 2, 2),
                IntsAttribute("strides", 2, 2)));
            current = poolName;
        }

        graph.Node.Add(Node("Transpose", "to_nhwc", [current], [OutputName], IntsAttribute("perm", 0, 2, 3, 1)));
        return Model(graph, ArchitectureLabel, "vgg16-notop-architecture-random", seed).ToByteArray();
    }

    /// <summary>Writes <see cref="Vgg16NotopArchitecture"/> to <paramref name="path"/>.</summary>
    /// <param name="path">File to create or overwrite.</param>
    /// <param name="seed">Seed of the weights.</param>
    public static void WriteVgg16NotopArchitecture(string path, int seed = 42) =>
        File.WriteAllBytes(path, Vgg16NotopArchitecture(seed));

    private static ModelProto Model(GraphProto graph, string label, string kind, int seed)
    {
        var model = new ModelProto
        {
            IrVersion = 8, // the IR version that goes with opset 17
            ProducerName = "FacePipeline.Fixtures",
            ProducerVersion = "1",
            Domain = "facepipeline.fixtures",
            ModelVersion = 1,
            DocString = label,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "fixture", Value = kind });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "description", Value = label });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "pretrained", Value = "none" });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "seed", Value = seed.ToString(CultureInfo.InvariantCulture) });
        return model;
    }

    /// <summary>A float tensor [N, height, width, channels] with a symbolic batch dimension.</summary>
    private static ValueInfoProto FeatureValueInfo(string name, int height, int width, int channels)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimName });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = height });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = channels });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float,
                    Shape = shape,
                },
            },
        };
    }

    internal static NodeProto Node(string opType, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    internal static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    internal static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        byte[] bytes;
        if (BitConverter.IsLittleEndian)
        {
            bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }
        else
        {
            bytes = new byte[values.Length * sizeof(float)];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            }
        }

        var tensor = new TensorProto
        {
            Name = name,
            DataType = (int)TensorProto.Types.DataType.Float,
            RawData = UnsafeByteOperations.UnsafeWrap(bytes), // raw_data is little-endian by the ONNX spec
        };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    /// <summary>
    /// Fills <paramref name="values"/> with uniform samples of mean 0 and the given standard deviation
    /// (He-uniform when std = √(2/fan_in)); one <see cref="Random.NextDouble"/> per value keeps 14.7 M weights fast.
    /// </summary>
    private static void FillUniform(Random random, float[] values, double std)
    {
        var limit = std * Math.Sqrt(3.0);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2.0 * random.NextDouble()) - 1.0) * limit);
        }
    }

    /// <summary>Fills <paramref name="values"/> with normal samples of mean 0 and the given standard deviation (Box–Muller).</summary>
    private static void FillNormal(Random random, float[] values, double std)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var u1 = 1.0 - random.NextDouble(); // (0, 1]: keeps the logarithm finite
            var u2 = random.NextDouble();
            var radius = std * Math.Sqrt(-2.0 * Math.Log(u1));
            var angle = 2.0 * Math.PI * u2;
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }
}
