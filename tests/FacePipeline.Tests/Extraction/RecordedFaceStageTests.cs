using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>
/// EXIF orientation is part of the cache identity: a cache recorded before it was applied (face stage <c>none</c>)
/// keeps growing from the stored pixels under <c>--faces auto</c>, is refused with <c>--rebuild</c> advice under an
/// explicit stage, and a new cache turns the same photo upright; features of the two kinds never share a cache.
/// </summary>
public sealed class RecordedFaceStageTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public async Task A_cache_recorded_before_orientation_keeps_the_stored_pixels_and_a_new_one_turns_the_photo_upright()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"));
        Backbone backbone = new BackboneCatalog([temp.Combine("models")]).Resolve(model, out _);
        string images = temp.Combine("images");
        for (int person = 1; person <= 2; person++)
        {
            Directory.CreateDirectory(Path.Combine(images, $"s{person}"));
            File.Copy(TestPaths.OrlImage(person, 1), Path.Combine(images, $"s{person}", "1.pgm"));
            File.Copy(TestPaths.OrlImage(person, 2), Path.Combine(images, $"s{person}", "2.pgm"));
        }

        string old = temp.Combine("old");
        var extractor = new Extractor(backbone, () => BackboneSession.Open(backbone, DeviceSpec.Cpu, 4, out _));
        await extractor.RunAsync(new ExtractionOptions { Images = ImageFolderReader.Read(images), CacheFolder = old, FaceStage = FaceStage.Parse(FaceStage.NoneIdentity, "test") });
        WriteSideways(Path.Combine(images, "s1", "side.png"), Path.Combine(temp.Combine("reference", "s1"), "side.png"), Path.Combine(temp.Combine("reference", "s1"), "up.png"));
        string[] common = ["--images", images, "--model", model, "--device", "cpu"];

        CliRun auto = await CliRun.Extract([.. common, "--out", old]);
        CliRun explicitNone = await CliRun.Extract([.. common, "--out", old, "--faces", "none"]);
        CliRun fresh = await CliRun.Extract([.. common, "--out", temp.Combine("new"), "--faces", "none"]);
        CliRun reference = await CliRun.Extract("--images", temp.Combine("reference"), "--model", model, "--device", "cpu", "--out", temp.Combine("ref"), "--faces", "none");

        Assert.Equal(ExitCodes.Success, auto.ExitCode);
        Assert.Contains("faces: auto keeps the cache's face stage none (stored orientation) (whole images); --rebuild to recompute it with EXIF orientation", auto.ErrorLines);
        Assert.All(await FeatureCacheReader.ListPartsAsync(old, null), part => Assert.Equal(FaceStage.NoneIdentity, part.Identity.FaceStage.Identity));
        Assert.Equal(ExitCodes.Failed, explicitNone.ExitCode);
        Assert.EndsWith("made with face stage none (stored orientation), but this run with none; pass --faces auto to keep it, --rebuild to recompute it, or use another --out folder", Assert.Single(explicitNone.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, fresh.ExitCode);
        Assert.Equal("none:orient=exif", (await FeatureCacheReader.ListPartsAsync(temp.Combine("new"), null))[0].Identity.FaceStage.Identity);
        Assert.Equal(ExitCodes.Success, reference.ExitCode);
        Dictionary<string, float[]> stored = await FeaturesAsync(temp.Combine("ref"));
        float[] oldSide = (await FeaturesAsync(old))["s1/side.png"];
        float[] newSide = (await FeaturesAsync(temp.Combine("new")))["s1/side.png"];
        Assert.True(Close(stored["s1/side.png"], oldSide), "the old cache's new row must come from the stored (sideways) pixels");
        Assert.True(Close(stored["s1/up.png"], newSide), "a new cache's row must come from the upright photo");
        Assert.False(Close(oldSide, newSide), "the sideways and upright features must differ, or this test shows nothing");
    }

    public void Dispose() => temp.Dispose();

    /// <summary>ORL s1/4 stored turned by 270° with EXIF orientation 6 at <paramref name="withExif"/>; the same stored pixels without EXIF, and the upright photo, for reference.</summary>
    private static void WriteSideways(string withExif, string storedOnly, string upright)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(storedOnly)!);
        using Image<Rgb24> photo = new ImageDecoder().Decode(File.ReadAllBytes(TestPaths.OrlImage(1, 4)));
        photo.SaveAsPng(upright);
        using Image<Rgb24> sideways = photo.Clone(context => context.Rotate(RotateMode.Rotate270));
        sideways.SaveAsPng(storedOnly);
        sideways.Metadata.ExifProfile = new ExifProfile();
        sideways.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        sideways.SaveAsPng(withExif);
    }

    private static async Task<Dictionary<string, float[]>> FeaturesAsync(string cache) =>
        (await CacheRows.ReadAllAsync(cache)).ToDictionary(row => row.Path, row => row.Features);

    private static bool Close(float[] a, float[] b) =>
        a.Zip(b, (x, y) => Math.Abs(x - y)).Max() <= 1e-4f * (1 + a.Max(Math.Abs));
}
