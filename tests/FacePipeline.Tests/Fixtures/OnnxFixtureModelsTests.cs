using FacePipeline.Fixtures;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace FacePipeline.Tests.Fixtures;

/// <summary>The code-generated ONNX fixtures keep the Keras VGG16-notop input/output contract.</summary>
public sealed class OnnxFixtureModelsTests
{
    private const int Pixels = OnnxFixtureModels.ImageSize * OnnxFixtureModels.ImageSize * OnnxFixtureModels.ImageChannels;
    private const int Features = OnnxFixtureModels.FeatureSize * OnnxFixtureModels.FeatureSize * OnnxFixtureModels.FeatureChannels;

    [Fact]
    public void Contract_fixture_has_the_vgg16_notop_input_and_output()
    {
        using var session = new InferenceSession(OnnxFixtureModels.VggNotopContract());
        AssertVggNotopContract(session);
        Assert.Contains("NOT pretrained", session.ModelMetadata.Description, StringComparison.Ordinal);
        Assert.Equal("none", session.ModelMetadata.CustomMetadataMap["pretrained"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Contract_fixture_runs_and_features_depend_on_the_image(int batch)
    {
        using var session = new InferenceSession(OnnxFixtureModels.VggNotopContract());
        var input = CaffeLikeImages(batch, seed: 7);

        var output = Run(session, input, batch);

        Assert.Equal(batch * Features, output.Length);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        Assert.True(output.Max() > output.Min(), "the features are constant");
        Assert.True(output.Count(v => v > 0) > output.Length / 10, "almost every feature is zero");
        for (var i = 1; i < batch; i++)
        {
            Assert.False(
                output.AsSpan(0, Features).SequenceEqual(output.AsSpan(i * Features, Features)),
                $"image {i} gives the same features as image 0");
        }
    }

    [Fact]
    public void Contract_fixture_batch_rows_match_single_image_runs()
    {
        using var session = new InferenceSession(OnnxFixtureModels.VggNotopContract());
        var input = CaffeLikeImages(3, seed: 11);
        var batched = Run(session, input, 3);

        for (var i = 0; i < 3; i++)
        {
            var single = Run(session, input.AsSpan(i * Pixels, Pixels).ToArray(), 1);
            for (var j = 0; j < Features; j++)
            {
                Assert.Equal(single[j], batched[(i * Features) + j], 4);
            }
        }
    }

    [Fact]
    public void Contract_fixture_is_deterministic_for_a_seed()
    {
        var first = OnnxFixtureModels.VggNotopContract(42);
        Assert.Equal(first, OnnxFixtureModels.VggNotopContract(42));
        Assert.NotEqual(first, OnnxFixtureModels.VggNotopContract(43));

        var input = CaffeLikeImages(2, seed: 3);
        using var a = new InferenceSession(first);
        using var b = new InferenceSession(OnnxFixtureModels.VggNotopContract(42));
        Assert.Equal(Run(a, input, 2), Run(b, input, 2));
    }

    [Fact]
    public void Contract_fixture_can_be_written_to_a_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vgg-contract-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxFixtureModels.WriteVggNotopContract(path, seed: 5);
            Assert.Equal(OnnxFixtureModels.VggNotopContract(5), File.ReadAllBytes(path));
            using var session = new InferenceSession(path);
            AssertVggNotopContract(session);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The one heavy test: ≈31 GFLOP, a few seconds on two CPU cores.</summary>
    [Fact]
    public void Vgg16_architecture_has_the_contract_and_runs_one_image()
    {
        var model = OnnxFixtureModels.Vgg16NotopArchitecture(42);
        Assert.InRange(model.Length, 58_000_000, 60_000_000); // 14,714,688 float parameters
        Assert.Equal(
            System.Security.Cryptography.SHA256.HashData(model),
            System.Security.Cryptography.SHA256.HashData(OnnxFixtureModels.Vgg16NotopArchitecture(42)));

        using var session = new InferenceSession(model);
        AssertVggNotopContract(session);
        Assert.Contains("NOT pretrained", session.ModelMetadata.Description, StringComparison.Ordinal);

        var output = Run(session, CaffeLikeImages(1, seed: 1), 1);

        Assert.Equal(Features, output.Length);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        Assert.True(output.Max() > output.Min(), "the features are constant");
        Assert.True(output.Count(v => v > 0) > Features / 20, "almost every feature is zero");
    }

    private static void AssertVggNotopContract(InferenceSession session)
    {
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal(OnnxFixtureModels.InputName, input.Key);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal(new[] { -1, 224, 224, 3 }, input.Value.Dimensions);
        Assert.Equal(OnnxFixtureModels.BatchDimName, input.Value.SymbolicDimensions[0]);

        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal(OnnxFixtureModels.OutputName, output.Key);
        Assert.Equal(typeof(float), output.Value.ElementType);
        Assert.Equal(new[] { -1, 7, 7, 512 }, output.Value.Dimensions);
        Assert.Equal(OnnxFixtureModels.BatchDimName, output.Value.SymbolicDimensions[0]);
    }

    private static float[] Run(InferenceSession session, float[] input, int batch)
    {
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [batch, 224, 224, 3]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(
            runOptions, [OnnxFixtureModels.InputName], [inputValue], [OnnxFixtureModels.OutputName]);
        var output = outputs[0];
        Assert.Equal(new long[] { batch, 7, 7, 512 }, output.GetTensorTypeAndShape().Shape);
        return output.GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Smooth random images in caffe-preprocessed units (BGR pixels minus the ImageNet mean).</summary>
    private static float[] CaffeLikeImages(int batch, int seed)
    {
        var random = new Random(seed);
        var data = new float[batch * Pixels];
        for (var n = 0; n < batch; n++)
        {
            // A random brightness gradient plus noise, so each image has its own large-scale structure.
            var (baseLevel, dx, dy) = (random.Next(40, 200), random.Next(-80, 80), random.Next(-80, 80));
            for (var y = 0; y < 224; y++)
            {
                for (var x = 0; x < 224; x++)
                {
                    var pixel = baseLevel + (dx * x / 224.0) + (dy * y / 224.0) + random.Next(-20, 20);
                    var offset = (n * Pixels) + (((y * 224) + x) * 3);
                    data[offset] = (float)(pixel - 103.939);
                    data[offset + 1] = (float)(pixel - 116.779);
                    data[offset + 2] = (float)(pixel - 123.68);
                }
            }
        }

        return data;
    }
}
