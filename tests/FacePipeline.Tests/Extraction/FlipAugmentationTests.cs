using System.Text.Json.Nodes;
using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Faces;
using FacePipeline.Head;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>Flip test-time augmentation: the mirror, the mean, real faces, and the identity that keeps it apart.</summary>
public sealed class FlipAugmentationTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Mirror_reverses_each_row_of_pixels()
    {
        // 3 × 2 pixels: (1,2,3) (4,5,6) (7,8,9) / (10,11,12) (13,14,15) (16,17,18).
        byte[] rgb = Enumerable.Range(1, 18).Select(v => (byte)v).ToArray();

        byte[] mirrored = FlipAugmentation.Mirror(rgb, 3, 2);

        Assert.Equal(new byte[] { 7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12 }, mirrored);
    }

    [Fact]
    public void Combine_is_the_mean_and_normalised_again_for_l2_backbones()
    {
        float[] raw = [1, 2];
        FlipAugmentation.Combine(raw, [3, 4], BackboneIdentity.NoNormalization);
        Assert.Equal([2f, 3f], raw);

        float[] unit = [1, 0];
        FlipAugmentation.Combine(unit, [0, 1], "l2");
        Assert.Equal(1 / Math.Sqrt(2), unit[0], 6);
        Assert.Equal(1 / Math.Sqrt(2), unit[1], 6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task On_real_faces_the_features_are_the_mean_of_the_face_and_of_its_mirror(int batchSize)
    {
        Backbone backbone = new BackboneCatalog([Path.Combine(AppContext.BaseDirectory, "models")]).Resolve("mobilefacenet", out _);
        var images = new[] { (1, 1), (2, 3), (3, 5) }
            .Select(p => new HashedImage(new LabelledImage($"s{p.Item1}/{p.Item2}.pgm", TestPaths.OrlImage(p.Item1, p.Item2), $"s{p.Item1}", null), null))
            .ToList();
        using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, batchSize, out _);
        FaceDetector detector = FacePipeline.Tests.Faces.FaceDetectorTestSupport.Catalog.Resolve("blazeface-front");
        using FaceStageSession faces = FaceStageSession.Open(detector, backbone, DeviceSpec.Cpu, out _);
        using FaceStageSession flipFaces = FaceStageSession.Open(FaceStage.Detect(detector, backbone).WithFlip(true), detector, backbone, DeviceSpec.Cpu, out _);

        var plain = new ImageFeaturizer(session, faces);
        var flipped = new ImageFeaturizer(session, flipFaces);
        List<FeaturizedImage> single = await plain.FeaturizeAsync(images, batchSize).ToListAsync();
        List<FeaturizedImage> averaged = await flipped.FeaturizeAsync(images, batchSize).ToListAsync();
        List<FeaturizedImage> again = await flipped.FeaturizeAsync(images, batchSize).ToListAsync();

        Assert.False(plain.Identity.FaceStage.FlipTta);
        Assert.True(flipped.Identity.FaceStage.FlipTta);
        Assert.EndsWith(":flip=on", flipped.Identity.FaceStage.Identity, StringComparison.Ordinal);
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Null(single[i].Failure);
            Assert.Null(averaged[i].Failure);

            // The mirror's embedding, made here by hand from the aligned face the featurizer kept.
            FaceCrop crop = single[i].Crop!;
            var mirror = new byte[crop.Rgb.Length];
            for (int y = 0; y < crop.HeightPx; y++)
            {
                for (int x = 0; x < crop.WidthPx; x++)
                {
                    Array.Copy(crop.Rgb, ((y * crop.WidthPx) + x) * 3, mirror, ((y * crop.WidthPx) + crop.WidthPx - 1 - x) * 3, 3);
                }
            }

            var tensor = new float[backbone.Preprocessing.TensorLength];
            TensorFiller.Fill(mirror, backbone.Preprocessing, tensor);
            var mirrored = new float[session.FeatureLength];
            session.Run(tensor, 1, mirrored);

            float[] own = single[i].Features!;
            float[] mean = averaged[i].Features!;
            Assert.Equal(again[i].Features!, mean);
            Assert.False(own.AsSpan().SequenceEqual(mean), "flip left the features unchanged");
            for (int k = 0; k < own.Length; k++)
            {
                Assert.Equal((own[k] + mirrored[k]) / 2, mean[k], 1e-3f);
            }
        }
    }

    [Fact]
    public async Task Extract_records_flip_in_the_cache_and_refuses_to_mix_the_settings()
    {
        string manifest = temp.Combine("few.csv");
        File.WriteAllLines(manifest, ["path,label,split", $"{TestPaths.OrlImage(1, 1)},s1,train", $"{TestPaths.OrlImage(2, 1)},s2,train"]);
        string[] common = ["--manifest", manifest, "--out", temp.Combine("cache"), "--model", "mobilefacenet", "--faces", "detect", "--device", "cpu"];

        CliRun on = await CliRun.Extract([.. common, "--flip-tta", "on"]);
        Assert.Equal(ExitCodes.Success, on.ExitCode);
        Assert.True((await FeatureCacheReader.OpenAsync(temp.Combine("cache"))).Identity!.FaceStage.FlipTta);

        // Without --flip-tta (auto) a flip cache grows with flip, as --faces auto keeps the stage.
        File.AppendAllLines(manifest, [$"{TestPaths.OrlImage(3, 1)},s3,train"]);
        CliRun kept = await CliRun.Extract(common);
        Assert.True(kept.ExitCode == ExitCodes.Success, kept.Error);
        Assert.Contains("flip-tta: auto keeps the cache's flip test-time augmentation (on); --flip-tta off --rebuild to drop it", kept.Error, StringComparison.Ordinal);
        FeatureCacheReader grown = await FeatureCacheReader.OpenAsync(temp.Combine("cache"));
        Assert.True(grown.Identity!.FaceStage.FlipTta);
        Assert.Equal(3, grown.Parts.Sum(p => p.RowCount));

        CliRun off = await CliRun.Extract([.. common, "--flip-tta", "off"]);
        Assert.Equal(ExitCodes.Failed, off.ExitCode);
        Assert.Contains(", flip), but this run with ", Assert.Single(off.ErrorLines, l => l.StartsWith("error: ", StringComparison.Ordinal)), StringComparison.Ordinal);

        CliRun wrong = await CliRun.Extract([.. common, "--flip-tta", "maybe"]);
        Assert.Equal(ExitCodes.Usage, wrong.ExitCode);
        Assert.Contains("--flip-tta: 'maybe' is not one of auto, off, on", wrong.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flipped_features_are_refused_by_a_head_trained_without_flip()
    {
        FeatureIdentity identity = HandWrittenPart.Identity("fixture", 2);
        FeatureRow[] rows = [HandWrittenPart.Row("a/1", "a", 1, 0), HandWrittenPart.Row("b/1", "b", 0, 1)];
        await HandWrittenPart.WriteAsync(Path.Combine(temp.Combine("plain"), "part-0000.parquet"), identity, rows);
        await HandWrittenPart.WriteAsync(Path.Combine(temp.Combine("flip"), "part-0000.parquet"), identity with { FaceStage = identity.FaceStage.WithFlip(true) }, rows);
        Assert.Equal(ExitCodes.Success, (await CliRun.TrainHead("--features", temp.Combine("plain"), "--out", temp.Combine("head"), "--head", "prototype")).ExitCode);

        CliRun run = await CliRun.Predict("evaluate", "--head", temp.Combine("head"), "--features", temp.Combine("flip"), "--out", temp.Combine("report"));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("features were made with face stage none (flip), but head", line, StringComparison.Ordinal);
        Assert.Contains("was trained with none; re-run Extract with --faces none --flip-tta off", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Caches_and_heads_written_before_flip_existed_read_as_flip_off()
    {
        FeatureIdentity identity = HandWrittenPart.Identity("fixture", 2);
        Dictionary<string, string> old = FeatureCacheSchema.Metadata(identity, "test");
        Assert.DoesNotContain("flip", old["facepipeline.face_stage"], StringComparison.Ordinal);
        await HandWrittenPart.WriteAsync(
            Path.Combine(temp.Combine("old"), "part-0000.parquet"), identity, [HandWrittenPart.Row("a/1", "a", 1, 0), HandWrittenPart.Row("b/1", "b", 0, 1)], old);

        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(temp.Combine("old"));
        Assert.False(reader.Identity!.FaceStage.FlipTta);

        Assert.Equal(ExitCodes.Success, (await CliRun.TrainHead("--features", temp.Combine("old"), "--out", temp.Combine("head"), "--head", "prototype")).ExitCode);
        string description = Path.Combine(temp.Combine("head"), HeadFolder.DescriptionFileName);
        JsonNode json = JsonNode.Parse(File.ReadAllText(description))!;
        Assert.Equal("none:orient=exif", (string?)json["backbone"]!["face_stage"]);

        (HeadDescription read, _) = HeadFolder.ReadDescription(temp.Combine("head"));
        Assert.False(read.Features.FaceStage.FlipTta);
        Assert.True(read.Features.Matches(identity));
    }
}
