using FacePipeline.Backbones;
using FacePipeline.Faces;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>
/// The face stage's minimum face size and EXIF orientation: both in its identity, faces found in random noise are no
/// face while real faces stay, and identities recorded before the settings existed read back unchanged (minimum 0,
/// stored orientation).
/// </summary>
public sealed class FaceStageSettingsTests : IClassFixture<FaceDetectorTestSupport>
{
    private const string Old = "detect:blazeface-front:sha256=ab:template=arcface-112:pick=largest:min-score=0.5";

    private static Backbone Bundled() => new BackboneCatalog([Path.Combine(AppContext.BaseDirectory, "models")]).Resolve("mobilefacenet", out _);

    [Fact]
    public void A_new_stage_records_its_minimum_face_size_and_orientation()
    {
        FaceDetector detector = FaceDetectorTestSupport.Catalog.Resolve("blazeface-front");

        FaceStage stage = FaceStage.Detect(detector, Bundled());

        Assert.Equal(
            $"detect:blazeface-front:sha256={detector.ModelSha256}:template=arcface-112:pick=largest:min-score=0.5:min-face={FaceStage.DefaultMinFacePx}:orient=exif",
            stage.Identity);
        Assert.Equal("none:orient=exif", FaceStage.None.Identity);
        Assert.Equal("detect (blazeface-front, arcface-112)", stage.Short);
    }

    [Fact]
    public void Identities_recorded_before_the_settings_read_as_minimum_0_and_stored_orientation()
    {
        FaceDetector detector = FaceDetectorTestSupport.Catalog.Resolve("blazeface-front");
        string old = Old.Replace("sha256=ab", "sha256=" + detector.ModelSha256, StringComparison.Ordinal);

        FaceStage recorded = FaceStage.Detect(detector, Bundled()).As(FaceStage.Parse(old, "test"));
        FaceStage none = FaceStage.Parse(FaceStage.NoneIdentity, "test");
        FaceStage current = FaceStage.Detect(detector, Bundled()).As(FaceStage.Parse(FaceStage.Detect(detector, Bundled()).Identity, "test"));

        Assert.Equal(old, recorded.Identity);
        Assert.Equal((0, false), (recorded.MinFacePx, recorded.AutoOrient));
        Assert.Equal("detect (blazeface-front, arcface-112, stored orientation, no min-face)", FaceStage.Parse(old, "test").Short);
        Assert.Equal(("none", false, "none (stored orientation)"), (none.Identity, none.AutoOrient, FaceStage.Parse("none", "test").Short));
        Assert.Equal("none", FaceStage.Parse("none:orient=exif", "test").Short);
        Assert.Equal(FaceStage.Detect(detector, Bundled()), current);
    }

    [Fact]
    public void A_head_recorded_before_the_settings_opens_its_own_stage_and_another_detector_model_is_refused()
    {
        FaceDetector detector = FaceDetectorTestSupport.Catalog.Resolve("blazeface-front");
        string old = Old.Replace("sha256=ab", "sha256=" + detector.ModelSha256, StringComparison.Ordinal);

        using FaceStageSession? session = FaceStageSession.OpenRecorded(FaceStage.Parse(old, "test"), FaceDetectorTestSupport.Catalog, Bundled(), DeviceSpec.Cpu, out _);
        FacePipelineException other = Assert.Throws<FacePipelineException>(() => FaceStageSession.OpenRecorded(FaceStage.Parse(Old, "test"), FaceDetectorTestSupport.Catalog, Bundled(), DeviceSpec.Cpu, out _));

        Assert.NotNull(session);
        Assert.Equal((old, 0, false), (session.Stage.Identity, session.Stage.MinFacePx, session.Stage.AutoOrient));
        Assert.Contains("but the features were made with " + Old, other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_detector_s_face_record_reaches_the_featurized_image_with_its_landmark_names()
    {
        Backbone backbone = Bundled();
        FaceDetector detector = FaceDetectorTestSupport.Catalog.Resolve("blazeface-front");
        using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, 1, out _);
        using FaceStageSession faces = FaceStageSession.Open(detector, backbone, DeviceSpec.Cpu, out _);
        string path = TestSupport.TestPaths.OrlImage(3, 4);

        FacePipeline.Extraction.FeaturizedImage result = Assert.Single(await new FacePipeline.Extraction.ImageFeaturizer(session, faces)
            .FeaturizeAsync([new FacePipeline.Extraction.HashedImage(new FacePipeline.Dataset.LabelledImage(path, path, null, null), null)], 1).ToListAsync());

        Assert.Equal(detector.Description.Keypoints, result.Face!.LandmarkNames);
        Assert.InRange(result.Face.Score, detector.Description.ScoreThreshold, 1f);
    }

    [Fact]
    public void Faces_found_in_random_noise_are_no_face_and_real_faces_stay()
    {
        Backbone backbone = Bundled();
        var random = new Random(19);
        int rawFound = 0;
        int stageFound = 0;
        foreach (string name in new[] { "blazeface-front", "blazeface-back", "yunet" })
        {
            using FaceStageSession stage = FaceStageSession.Open(FaceDetectorTestSupport.Catalog.Resolve(name), backbone, DeviceSpec.Cpu, out _);
            using FaceDetectorSession raw = FaceDetectorSession.Open(FaceDetectorTestSupport.Catalog.Resolve(name), DeviceSpec.Cpu, 1, out _);
            foreach (int side in new[] { 12, 16, 20, 24, 32 })
            {
                for (int i = 0; i < 6; i++)
                {
                    using Image<Rgb24> noise = Noise(random, side);
                    rawFound += raw.Detect(noise).Count > 0 ? 1 : 0;
                    stageFound += stage.Detect(noise).Count;
                }
            }

            using Image<Rgb24> face = new FacePipeline.Imaging.ImageDecoder().Decode(File.ReadAllBytes(TestSupport.TestPaths.OrlImage(3, 4)));
            Assert.NotEmpty(stage.Detect(face));
        }

        Assert.True(rawFound >= 5, $"the detectors found faces in only {rawFound} noise images: the test lost its teeth");
        Assert.Equal(0, stageFound);
    }

    private static Image<Rgb24> Noise(Random random, int side)
    {
        var pixels = new byte[side * side * 3];
        random.NextBytes(pixels);
        return Image.LoadPixelData<Rgb24>(pixels, side, side);
    }
}
