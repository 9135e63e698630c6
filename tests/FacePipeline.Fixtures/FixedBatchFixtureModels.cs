using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace FacePipeline.Fixtures;

/// <summary>
/// Tiny ONNX models whose batch dimension is fixed at 1, the way PyTorch exports MobileFaceNet: input <c>input</c>
/// [1,3,8,8] NCHW, output <c>output</c> [1,4]. Weights are fixed formulas (not pretrained), so tests can compute
/// the expected features by hand: feature[o] = Σc W[o,c] × mean(channel c) + B[o] with W[o,c] = (o+1)(c+1)/10 − 0.3
/// and B[o] = o/10.
/// </summary>
public static class FixedBatchFixtureModels
{
    /// <summary>Input side in pixels.</summary>
    public const int ImageSize = 8;

    /// <summary>Features per image.</summary>
    public const int FeatureLength = 4;

    /// <summary>Label stored in the models' doc strings.</summary>
    public const string Label = "test fixture: fixed batch 1, formula weights, NOT pretrained";

    /// <summary>The weight <c>W[o,c]</c> of the 1×1 convolution.</summary>
    public static float Weight(int output, int channel) => ((output + 1) * (channel + 1) / 10f) - 0.3f;

    /// <summary>The bias <c>B[o]</c> of the 1×1 convolution.</summary>
    public static float Bias(int output) => output / 10f;

    /// <summary>
    /// Conv 1×1 (3→4) → GlobalAveragePool → [1,4,1,1] → Reshape to <c>[1, -1]</c>, the shape coming from a
    /// <c>Constant</c> node → [1,4]. The rewrite to a variable batch handles it (the shape becomes <c>[0, -1]</c>).
    /// </summary>
    public static byte[] ConstantReshape() => Build(mixesBatch: false);

    /// <summary>
    /// The same network, but it flattens from axis 0 (<c>Flatten(axis=0)</c> → [1, 4·batch]) and multiplies by the
    /// 4×4 identity: it folds the batch into the features, so no rewrite can give it a variable batch and it must run
    /// one image at a time. Same features as <see cref="ConstantReshape"/>.
    /// </summary>
    public static byte[] BatchFolding() => Build(mixesBatch: true);

    private static byte[] Build(bool mixesBatch)
    {
        var weights = new float[FeatureLength * 3];
        var bias = new float[FeatureLength];
        for (int o = 0; o < FeatureLength; o++)
        {
            bias[o] = Bias(o);
            for (int c = 0; c < 3; c++)
            {
                weights[(o * 3) + c] = Weight(o, c);
            }
        }

        var graph = new GraphProto { Name = mixesBatch ? "fixed_batch_folding" : "fixed_batch_constant_reshape", DocString = Label };
        graph.Input.Add(Value("input", 1, 3, ImageSize, ImageSize));
        graph.Output.Add(Value("output", 1, FeatureLength));
        graph.Initializer.Add(OnnxFixtureModels.FloatTensor("conv_W", [FeatureLength, 3, 1, 1], weights));
        graph.Initializer.Add(OnnxFixtureModels.FloatTensor("conv_B", [FeatureLength], bias));
        graph.Node.Add(OnnxFixtureModels.Node("Conv", "conv", ["input", "conv_W", "conv_B"], ["conv_out"], OnnxFixtureModels.IntsAttribute("kernel_shape", 1, 1)));
        graph.Node.Add(OnnxFixtureModels.Node("GlobalAveragePool", "pool", ["conv_out"], ["pooled"]));
        // The exporter also records intermediate shapes with the batch baked in.
        graph.ValueInfo.Add(Value("pooled", 1, FeatureLength, 1, 1));
        if (mixesBatch)
        {
            var identity = new float[FeatureLength * FeatureLength];
            for (int i = 0; i < FeatureLength; i++)
            {
                identity[(i * FeatureLength) + i] = 1f;
            }

            graph.Initializer.Add(OnnxFixtureModels.FloatTensor("eye", [FeatureLength, FeatureLength], identity));
            var axis = new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 };
            graph.Node.Add(OnnxFixtureModels.Node("Flatten", "flatten_all", ["pooled"], ["flat"], axis));
            graph.Node.Add(OnnxFixtureModels.Node("MatMul", "project", ["flat", "eye"], ["output"]));
        }
        else
        {
            var value = new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Int64Tensor(string.Empty, [1, -1]) };
            graph.Node.Add(OnnxFixtureModels.Node("Constant", "/Constant", [], ["/Constant_output_0"], value));
            graph.Node.Add(OnnxFixtureModels.Node("Reshape", "/Reshape", ["pooled", "/Constant_output_0"], ["output"]));
        }

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "FacePipeline.Fixtures",
            ProducerVersion = "1",
            DocString = Label,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxFixtureModels.Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "pretrained", Value = "none" });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto Int64Tensor(string name, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(values.Length);
        return tensor;
    }
}
