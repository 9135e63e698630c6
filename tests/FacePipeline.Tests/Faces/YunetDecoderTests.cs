using FacePipeline.Faces;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>YuNet decoding on hand-made tensors: a known cell gives a known box and landmarks (face_detect.cpp's formulas).</summary>
public sealed class YunetDecoderTests
{
    private static readonly string[] OnePoint = [FaceLandmarkNames.NoseTip];

    [Fact]
    public void A_known_cell_decodes_to_its_box_and_landmark()
    {
        // 32x32 input, stride 8: a 4x4 grid. Cell row 1, column 2 (index 6): cls 0.81, obj 1 -> score 0.9.
        var cls = new float[16];
        var obj = new float[16];
        var box = new float[64];
        var kps = new float[32];
        cls[6] = 0.81f;
        obj[6] = 1f;
        box[24] = 0.5f;
        box[25] = 0.25f;
        box[26] = MathF.Log(2f);
        box[27] = MathF.Log(3f);
        kps[12] = 0.1f;
        kps[13] = 0.2f;

        List<DetectedFace> faces = YunetDecoder.Decode([new YunetLevelOutput(8, cls, obj, box, kps)], 32, 32, 0.5f, OnePoint);

        DetectedFace face = Assert.Single(faces);
        Assert.Equal(0.9f, face.Score, 1e-5f);

        // centre ((2 + 0.5) * 8, (1 + 0.25) * 8) = (20, 10); size (2 * 8, 3 * 8) = (16, 24).
        Assert.Equal(12f, face.Box.X, 1e-4f);
        Assert.Equal(-2f, face.Box.Y, 1e-4f);
        Assert.Equal(16f, face.Box.Width, 1e-4f);
        Assert.Equal(24f, face.Box.Height, 1e-4f);
        FaceLandmark nose = Assert.Single(face.Landmarks);
        Assert.Equal(FaceLandmarkNames.NoseTip, nose.Name);
        Assert.Equal((0.1f + 2) * 8, nose.Point.X, 1e-4f);
        Assert.Equal((0.2f + 1) * 8, nose.Point.Y, 1e-4f);
    }

    [Fact]
    public void Scores_are_clamped_before_the_square_root_and_the_threshold_applies()
    {
        // Stride 16 on 32x32: a 2x2 grid. Cell 0: cls 1.5 (clamped to 1) x obj 0.64 -> 0.8; cell 3: sqrt(0.25) = 0.5 < 0.6.
        float[] cls = [1.5f, 0, 0, 0.5f];
        float[] obj = [0.64f, 0, -2f, 0.5f];
        var faces = YunetDecoder.Decode([new YunetLevelOutput(16, cls, obj, new float[16], new float[8])], 32, 32, 0.6f, OnePoint);

        DetectedFace face = Assert.Single(faces);
        Assert.Equal(0.8f, face.Score, 1e-5f);
        Assert.Equal(new FaceBox(-8, -8, 16, 16), face.Box);
    }

    [Fact]
    public void Levels_are_decoded_each_with_its_own_stride()
    {
        float[] cls8 = new float[16], cls16 = [0, 0, 0, 1f];
        float[] obj8 = new float[16], obj16 = [0, 0, 0, 1f];
        var levels = new[]
        {
            new YunetLevelOutput(8, cls8, obj8, new float[64], new float[32]),
            new YunetLevelOutput(16, cls16, obj16, new float[16], new float[8]),
        };

        DetectedFace face = Assert.Single(YunetDecoder.Decode(levels, 32, 32, 0.5f, OnePoint));

        // Row 1, column 1 at stride 16, zero offsets: centre (16, 16), size exp(0) * 16.
        Assert.Equal(new FaceBox(8, 8, 16, 16), face.Box);
        Assert.Equal(new FacePoint(16, 16), face.Landmarks[0].Point);
    }
}
