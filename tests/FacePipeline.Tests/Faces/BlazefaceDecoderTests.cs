using FacePipeline.Faces;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>MediaPipe's SSD anchors and BlazeFace box decoding on hand-made tensors.</summary>
public sealed class BlazefaceDecoderTests
{
    private static readonly string[] OnePoint = [FaceLandmarkNames.RightEye];

    private static readonly FaceDetectorDescription.BoxDecodingSpec Scales128 = new() { XScale = 128, YScale = 128, WScale = 128, HScale = 128, ScoreClippingThresh = 100 };

    private static SsdAnchorOptions ShortRange() => new()
    {
        NumLayers = 4,
        MinScale = 0.1484375f,
        MaxScale = 0.75f,
        InputSizeWidth = 128,
        InputSizeHeight = 128,
        Strides = [8, 16, 16, 16],
        FixedAnchorSize = true,
    };

    [Fact]
    public void Short_range_anchors_are_16x16x2_then_8x8x6_cell_centres()
    {
        IReadOnlyList<SsdAnchor> anchors = SsdAnchorGenerator.Generate(ShortRange());

        Assert.Equal(896, anchors.Count);
        Assert.Equal(new SsdAnchor(0.5f / 16, 0.5f / 16, 1, 1), anchors[0]);
        Assert.Equal(anchors[0], anchors[1]);
        Assert.Equal(new SsdAnchor(1.5f / 16, 0.5f / 16, 1, 1), anchors[2]);
        Assert.Equal(new SsdAnchor(0.5f / 16, 1.5f / 16, 1, 1), anchors[32]);
        Assert.Equal(new SsdAnchor(0.5f / 8, 0.5f / 8, 1, 1), anchors[512]);
        Assert.Equal(anchors[512], anchors[517]);
        Assert.Equal(new SsdAnchor(1.5f / 8, 0.5f / 8, 1, 1), anchors[518]);
        Assert.Equal(new SsdAnchor(7.5f / 8, 7.5f / 8, 1, 1), anchors[895]);
    }

    [Fact]
    public void Back_model_anchors_cover_256_pixels_with_the_same_896_layout()
    {
        IReadOnlyList<SsdAnchor> anchors = SsdAnchorGenerator.Generate(ShortRange() with { InputSizeWidth = 256, InputSizeHeight = 256, Strides = [16, 32, 32, 32] });

        Assert.Equal(896, anchors.Count);
        Assert.Equal(new SsdAnchor(0.5f / 16, 0.5f / 16, 1, 1), anchors[0]);
        Assert.Equal(new SsdAnchor(7.5f / 8, 7.5f / 8, 1, 1), anchors[895]);
    }

    [Fact]
    public void Anchor_sizes_follow_the_layer_scales_when_not_fixed()
    {
        IReadOnlyList<SsdAnchor> anchors = SsdAnchorGenerator.Generate(ShortRange() with { FixedAnchorSize = false });

        // Layer 0: scale 0.1484375, then the interpolated sqrt(0.1484375 * scale of layer 1).
        float scale1 = 0.1484375f + ((0.75f - 0.1484375f) / 3);
        Assert.Equal(0.1484375f, anchors[0].Width, 1e-6f);
        Assert.Equal(MathF.Sqrt(0.1484375f * scale1), anchors[1].Width, 1e-6f);

        // The last layer (max scale 0.75) interpolates towards 1.0.
        Assert.Equal(0.75f, anchors[516].Width, 1e-6f);
        Assert.Equal(MathF.Sqrt(0.75f), anchors[517].Width, 1e-6f);
    }

    [Fact]
    public void A_known_anchor_decodes_to_its_box_and_keypoint_in_input_pixels()
    {
        SsdAnchor[] anchors = [new(0.25f, 0.5f, 1, 1), new(0.75f, 0.75f, 1, 1)];
        float[] logits = [0f, -10f];
        float[] regressors =
        [
            12.8f, -6.4f, 32f, 64f, 6.4f, 12.8f,
            0, 0, 10, 10, 0, 0,
        ];

        List<DetectedFace> faces = BlazefaceDecoder.Decode(logits, regressors, anchors, Scales128, 0.5f, OnePoint, 128, 128);

        DetectedFace face = Assert.Single(faces);
        Assert.Equal(0.5f, face.Score, 1e-6f);

        // centre (0.25 + 12.8/128, 0.5 - 6.4/128) = (0.35, 0.45) -> (44.8, 57.6) px; size (32, 64) px.
        Assert.Equal(28.8f, face.Box.X, 1e-3f);
        Assert.Equal(25.6f, face.Box.Y, 1e-3f);
        Assert.Equal(32f, face.Box.Width, 1e-3f);
        Assert.Equal(64f, face.Box.Height, 1e-3f);
        Assert.Equal(38.4f, face.Landmarks[0].Point.X, 1e-3f);
        Assert.Equal(76.8f, face.Landmarks[0].Point.Y, 1e-3f);
    }

    [Fact]
    public void Huge_logits_are_clipped_so_the_sigmoid_stays_finite()
    {
        SsdAnchor[] anchors = [new(0.5f, 0.5f, 1, 1)];
        List<DetectedFace> faces = BlazefaceDecoder.Decode([1e30f], new float[6], anchors, Scales128, 0.5f, OnePoint, 128, 128);

        Assert.Equal(1f, Assert.Single(faces).Score, 1e-6f);
    }
}
