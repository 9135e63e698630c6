using System.CommandLine;
using System.Runtime.InteropServices;
using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Fixtures;
using FacePipeline.Tests.TestSupport;
using Onnx;
using Xunit;

namespace FacePipeline.Tests.Backbones;

/// <summary>
/// Models exported with a fixed batch of 1 (as PyTorch writes MobileFaceNet): the rewrite to a variable batch when it
/// is possible, and running one image at a time with one note when it is not; both give the hand-computed features.
/// </summary>
public sealed class FixedBatchModelTests : IDisposable
{
    private const int Images = 5;
    private readonly TempFolder temp = new();

    [Fact]
    public void A_reshape_with_a_constant_batch_shape_is_rewritten_to_a_variable_batch()
    {
        Backbone backbone = Write("constant-reshape", FixedBatchFixtureModels.ConstantReshape());

        using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, out string? notice);

        Assert.Null(notice);
        Assert.Equal(0, session.FixedBatchSize);
        AssertFeaturesAreHandComputed(session);
        string rewrite = Assert.Single(Directory.GetFiles(temp.Path, "*.variable-batch.onnx"));
        Assert.StartsWith("constant-reshape.", Path.GetFileName(rewrite), StringComparison.Ordinal);
        ModelProto written = ModelProto.Parser.ParseFrom(File.ReadAllBytes(rewrite));
        Assert.DoesNotContain(written.Graph.Node, n => n.OpType == "Constant"); // no longer read by anything
        NodeProto reshape = Assert.Single(written.Graph.Node, n => n.OpType == "Reshape");
        TensorProto shape = Assert.Single(written.Graph.Initializer, t => t.Name == reshape.Input[1]);
        Assert.Equal([0L, -1L], MemoryMarshal.Cast<byte, long>(shape.RawData.Span).ToArray());
        Assert.Equal("N", written.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("N", written.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);

        // A second session takes the cached rewrite, which was checked when written.
        using BackboneSession again = BackboneSession.Open(backbone, DeviceSpec.Cpu, out string? secondNotice);
        Assert.Null(secondNotice);
        Assert.Equal(0, again.FixedBatchSize);
        AssertFeaturesAreHandComputed(again);
    }

    [Fact]
    public void A_model_that_folds_the_batch_into_its_features_runs_one_image_at_a_time_with_one_note()
    {
        Backbone backbone = Write("batch-folding", FixedBatchFixtureModels.BatchFolding());

        using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, out string? notice);

        Assert.NotNull(notice);
        string line = Assert.Single(notice.Split('\n'));
        Assert.StartsWith("note: batch-folding.onnx: its batch dimension is fixed at 1", line, StringComparison.Ordinal);
        Assert.EndsWith("running one image at a time", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
        Assert.Equal(1, session.FixedBatchSize);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.variable-batch.onnx"));
        AssertFeaturesAreHandComputed(session);
    }

    [Fact]
    public void L2_normalisation_in_the_description_gives_unit_vectors_and_another_identity()
    {
        Backbone raw = Write("raw", FixedBatchFixtureModels.ConstantReshape());
        Backbone normalised = Write("l2", FixedBatchFixtureModels.ConstantReshape(), "l2");
        Assert.Equal("none", raw.Identity.Normalize);
        Assert.Equal("l2", normalised.Identity.Normalize);
        Assert.False(raw.Identity.Matches(normalised.Identity with { Name = raw.Identity.Name }));

        using BackboneSession session = BackboneSession.Open(normalised, DeviceSpec.Cpu, out _);
        float[] tensors = Tensors();
        var features = new float[Images * FixedBatchFixtureModels.FeatureLength];
        session.Run(tensors, Images, features);
        for (int image = 0; image < Images; image++)
        {
            float[] expected = Expected(tensors, image);
            float length = MathF.Sqrt(expected.Sum(v => v * v));
            for (int o = 0; o < expected.Length; o++)
            {
                Assert.Equal(expected[o] / length, features[(image * expected.Length) + o], 1e-5f);
            }
        }
    }

    [Fact]
    public void The_description_batch_size_is_used_when_batch_size_is_not_given()
    {
        Backbone preferring = Write("prefers-4", FixedBatchFixtureModels.ConstantReshape(), batchSize: "4");
        Backbone plain = Write("plain", FixedBatchFixtureModels.ConstantReshape());
        Option<int> option = CommonOptions.BatchSize();
        var root = new RootCommand { option };

        Assert.Equal(4, CommonOptions.BatchSizeFor(root.Parse([]), option, preferring));
        Assert.Equal(Backbone.DefaultBatchSize, CommonOptions.BatchSizeFor(root.Parse([]), option, plain));
        Assert.Equal(2, CommonOptions.BatchSizeFor(root.Parse(["--batch-size", "2"]), option, preferring));
        Assert.Equal(32, CommonOptions.BatchSizeFor(root.Parse(["--batch-size", "32"]), option, preferring));
    }

    public void Dispose() => temp.Dispose();

    private Backbone Write(string name, byte[] model, string normalize = "none", string batchSize = "null")
    {
        File.WriteAllBytes(temp.Combine(name + ".onnx"), model);
        File.WriteAllText(temp.Combine(name + ".json"), $$"""
            {
              "name": "{{name}}",
              "pretrained": "none",
              "model": "{{name}}.onnx",
              "batch_size": {{batchSize}},
              "input": { "name": "input", "layout": "nchw", "width": 8, "height": 8, "channels": 3 },
              "preprocessing": { "resize": "stretch", "channel_order": "rgb", "scale": 1.0 },
              "output": { "name": "output", "shape": [4], "pooling": "none", "normalize": "{{normalize}}" }
            }
            """);
        return Backbone.Load(temp.Combine(name + ".json"));
    }

    /// <summary>Five different images, each channel a different ramp.</summary>
    private static float[] Tensors()
    {
        const int plane = FixedBatchFixtureModels.ImageSize * FixedBatchFixtureModels.ImageSize;
        var tensors = new float[Images * 3 * plane];
        for (int i = 0; i < tensors.Length; i++)
        {
            int image = i / (3 * plane);
            int channel = i / plane % 3;
            tensors[i] = ((image + 1) * (channel - 1) * 0.25f) + (i % plane * 0.01f);
        }

        return tensors;
    }

    /// <summary>W · (channel means) + B: the 1×1 convolution commutes with the average pool.</summary>
    private static float[] Expected(float[] tensors, int image)
    {
        const int plane = FixedBatchFixtureModels.ImageSize * FixedBatchFixtureModels.ImageSize;
        var means = new double[3];
        for (int c = 0; c < 3; c++)
        {
            means[c] = tensors.AsSpan(((image * 3) + c) * plane, plane).ToArray().Average();
        }

        var expected = new float[FixedBatchFixtureModels.FeatureLength];
        for (int o = 0; o < expected.Length; o++)
        {
            double sum = FixedBatchFixtureModels.Bias(o);
            for (int c = 0; c < 3; c++)
            {
                sum += FixedBatchFixtureModels.Weight(o, c) * means[c];
            }

            expected[o] = (float)sum;
        }

        return expected;
    }

    private static void AssertFeaturesAreHandComputed(BackboneSession session)
    {
        float[] tensors = Tensors();
        var features = new float[Images * FixedBatchFixtureModels.FeatureLength];
        session.Run(tensors, Images, features);
        for (int image = 0; image < Images; image++)
        {
            float[] expected = Expected(tensors, image);
            for (int o = 0; o < expected.Length; o++)
            {
                Assert.Equal(expected[o], features[(image * expected.Length) + o], 1e-4f);
            }
        }
    }
}
