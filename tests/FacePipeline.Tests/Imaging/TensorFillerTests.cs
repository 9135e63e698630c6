using FacePipeline.Backbones;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace FacePipeline.Tests.Imaging;

/// <summary>The one preprocessing function against hand-computed values and against the ResNet18 package's own preprocessing network.</summary>
public sealed class TensorFillerTests
{
    /// <summary>A 2×2 image, row-major interleaved RGB: (10,20,30) (40,50,60) / (70,80,90) (255,0,128).</summary>
    private static readonly byte[] Rgb2x2 = [10, 20, 30, 40, 50, 60, 70, 80, 90, 255, 0, 128];

    [Fact]
    public void Keras_caffe_mode_is_bgr_minus_the_imagenet_mean_in_nhwc()
    {
        var caffe = new Preprocessing
        {
            WidthPx = 2,
            HeightPx = 2,
            ChannelOrder = ChannelOrder.Bgr,
            Layout = TensorLayout.Nhwc,
            Mean = [103.939f, 116.779f, 123.68f],
        };
        var tensor = new float[12];

        TensorFiller.Fill(Rgb2x2, caffe, tensor);

        float[] expected =
        [
            30 - 103.939f, 20 - 116.779f, 10 - 123.68f,
            60 - 103.939f, 50 - 116.779f, 40 - 123.68f,
            90 - 103.939f, 80 - 116.779f, 70 - 123.68f,
            128 - 103.939f, 0 - 116.779f, 255 - 123.68f,
        ];
        AssertClose(expected, tensor, 1e-4f);
        Assert.Equal(-73.939f, tensor[0], 1e-4f);
        Assert.Equal(131.32f, tensor[11], 1e-4f);
    }

    [Fact]
    public void Torchvision_mode_is_rgb_over_255_normalised_by_mean_and_std_in_nchw()
    {
        var torchvision = new Preprocessing
        {
            WidthPx = 2,
            HeightPx = 2,
            ChannelOrder = ChannelOrder.Rgb,
            Layout = TensorLayout.Nchw,
            Scale = 1f / 255f,
            Mean = [0.485f, 0.456f, 0.406f],
            Std = [0.229f, 0.224f, 0.225f],
        };
        var tensor = new float[12];

        TensorFiller.Fill(Rgb2x2, torchvision, tensor);

        double[] mean = [0.485, 0.456, 0.406];
        double[] std = [0.229, 0.224, 0.225];
        var expected = new float[12];
        for (int c = 0; c < 3; c++)
        {
            for (int pixel = 0; pixel < 4; pixel++)
            {
                expected[c * 4 + pixel] = (float)((Rgb2x2[pixel * 3 + c] / 255.0 - mean[c]) / std[c]);
            }
        }

        AssertClose(expected, tensor, 1e-5f);
        // Red plane first; the white-ish red 255 of the last pixel: (1 − 0.485) / 0.229 = 2.2489.
        Assert.Equal(2.24890830f, tensor[3], 1e-5f);
        // Green plane, first pixel: (20/255 − 0.456) / 0.224 = −1.68557.
        Assert.Equal(-1.68557423f, tensor[4], 1e-5f);
    }

    [Fact]
    public void Mean_image_mode_subtracts_a_per_pixel_plane_in_tensor_channel_order()
    {
        // Planar [channel, y, x] in tensor (BGR) order, as ResNetPreprocess.onnx stores it.
        float[] meanImage = [1, 2, 3, 4, 10, 20, 30, 40, 100, 110, 120, 130];
        var withMeanImage = new Preprocessing
        {
            WidthPx = 2,
            HeightPx = 2,
            ChannelOrder = ChannelOrder.Bgr,
            Layout = TensorLayout.Nchw,
            MeanImage = meanImage,
            MeanImageSource = "test",
        };
        var tensor = new float[12];

        TensorFiller.Fill(Rgb2x2, withMeanImage, tensor);

        float[] expected =
        [
            30 - 1, 60 - 2, 90 - 3, 128 - 4, // blue plane
            20 - 10, 50 - 20, 80 - 30, 0 - 40, // green plane
            10 - 100, 40 - 110, 70 - 120, 255 - 130, // red plane
        ];
        Assert.Equal(expected, tensor);
        Assert.EndsWith(";mean_image=test", withMeanImage.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_buffer_sizes_are_refused()
    {
        var preprocessing = new Preprocessing { WidthPx = 2, HeightPx = 2 };
        ArgumentException rgb = Assert.Throws<ArgumentException>(() => TensorFiller.Fill(new byte[11], preprocessing, new float[12]));
        Assert.StartsWith("expected 12 RGB bytes for 2x2, got 11", rgb.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TensorFiller.Fill(Rgb2x2, preprocessing, new float[13]));
        Assert.Throws<ArgumentException>(() => TensorFiller.Fill(Rgb2x2, preprocessing with { MeanImage = new float[5] }, new float[12]));
    }

    [Fact]
    public void A_grey_orl_pgm_becomes_three_equal_channels()
    {
        var preprocessing = new Preprocessing { WidthPx = 224, HeightPx = 224 };
        byte[] rgb = new ImageDecoder().DecodeResized(File.ReadAllBytes(TestPaths.OrlImage(1, 1)), preprocessing);

        Assert.Equal(224 * 224 * 3, rgb.Length);
        for (int pixel = 0; pixel < 224 * 224; pixel++)
        {
            Assert.Equal(rgb[pixel * 3], rgb[pixel * 3 + 1]);
            Assert.Equal(rgb[pixel * 3], rgb[pixel * 3 + 2]);
        }

        // A real face, not a flat image.
        Assert.True(rgb.Distinct().Count() > 50, "the decoded face has too few grey levels");
    }

    [Fact]
    public void Resnet_preprocessing_equals_the_packages_ResNetPreprocess_onnx()
    {
        Backbone backbone = Backbone.Load(Path.Combine(AppContext.BaseDirectory, "models", "resnet18.json"));
        Preprocessing preprocessing = backbone.Preprocessing;
        Assert.Equal(224, preprocessing.WidthPx);
        Assert.NotNull(preprocessing.MeanImage);
        byte[] rgb = new ImageDecoder().DecodeResized(File.ReadAllBytes(TestPaths.OrlImage(7, 3)), preprocessing);

        // ResNetPreprocess.onnx takes planar RGB 0–255 [1,3,224,224], reorders to BGR and subtracts its MeanImage.
        const int plane = 224 * 224;
        var planarRgb = new float[3 * plane];
        for (int pixel = 0; pixel < plane; pixel++)
        {
            for (int c = 0; c < 3; c++)
            {
                planarRgb[c * plane + pixel] = rgb[pixel * 3 + c];
            }
        }

        string network = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "ResNetPreprocess.onnx");
        using var session = new InferenceSession(network);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(planarRgb, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, ["OriginalInput"], [input], ["PreprocessedInput"]);
        float[] reference = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        var ours = new float[preprocessing.TensorLength];
        TensorFiller.Fill(rgb, preprocessing, ours);

        Assert.Equal(reference.Length, ours.Length);
        float maxDifference = reference.Zip(ours, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDifference < 1e-3f, $"max |difference| {maxDifference}");
        // The ImageNet mean image (about 100–125 per channel) really was subtracted.
        Assert.InRange(preprocessing.MeanImage!.Average(), 90f, 130f);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
