using System.Globalization;
using System.Text.Json;
using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Xunit.Abstractions;

namespace FacePipeline.Tests.Export;

/// <summary>
/// The design's VGG16 path run for real: scripts/export-vgg16-notop.sh (torchvision route, random weights, the
/// interpreter's own packages) writes a model and a description that our backbone code loads, whose output through our
/// ONNX Runtime session equals torch's, whose preprocessing equals torchvision's, and that the three programs run on.
/// </summary>
public sealed class Vgg16ExportTests(Vgg16ExportFixture export, ITestOutputHelper output) : IClassFixture<Vgg16ExportFixture>
{
    private const int Side = 224;
    private const int FeatureLength = 512 * 7 * 7;

    [ExportRouteFact]
    public void The_export_is_labelled_not_pretrained_in_its_metadata_and_its_description()
    {
        string log = export.Exported();
        Assert.Contains("output block5_pool ['N', 512, 7, 7]", log, StringComparison.Ordinal);

        BackboneDescription description = BackboneDescription.Load(export.DescriptionPath);
        Assert.Equal("none", description.Pretrained);
        Assert.Equal("vgg16-notop-torchvision-random", description.Name);
        Assert.Equal("input", description.Input.Name);
        Assert.Equal(TensorLayout.Nchw, description.Input.Layout);
        Assert.Equal("block5_pool", description.Output.Name);
        Assert.Equal([512, 7, 7], description.Output.Shape);
        Assert.Equal([0.229f, 0.224f, 0.225f], description.Preprocessing.Std);

        using var session = new InferenceSession(export.OnnxPath);
        Assert.Equal("none", session.ModelMetadata.CustomMetadataMap["pretrained"]);
        Assert.Contains("NOT pretrained", session.ModelMetadata.Description, StringComparison.Ordinal);
        Assert.Equal([-1, 3, Side, Side], session.InputMetadata["input"].Dimensions);
        Assert.Equal([-1, 512, 7, 7], session.OutputMetadata["block5_pool"].Dimensions);

        string sha = File.ReadAllText(Path.ChangeExtension(export.OnnxPath, ".sha256")).Split(' ')[0];
        Assert.Equal(ContentHash.OfFile(export.OnnxPath), sha);
        Assert.Contains("is not pretrained", Backbone.Load(export.DescriptionPath).NotPretrainedWarning, StringComparison.Ordinal);
    }

    [ExportRouteFact]
    public void Onnx_runtime_through_our_session_equals_torch_on_the_same_input()
    {
        float[] input = export.ReadFloats("input.f32");
        float[] expected = export.ReadFloats("output.f32");
        int count = input.Length / (3 * Side * Side);
        Assert.Equal(2, count);

        using BackboneSession session = Open(out Backbone _);
        var actual = new float[count * FeatureLength];
        session.Run(input, count, actual);

        (double maxDiff, double maxReference) = MaxAbsDiff(expected, actual);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ONNX Runtime vs torch: max |diff| {maxDiff:G3}, max |torch| {maxReference:G3}"));
        Assert.True(maxReference > 0.1, $"torch's output is degenerate (max |x| {maxReference})");
        Assert.True(maxDiff < 1e-3 + (1e-5 * maxReference), $"ONNX Runtime and torch differ by {maxDiff}");
    }

    [ExportRouteFact]
    public void Our_preprocessing_equals_torchvision_normalize_on_224_pixel_images()
    {
        JsonElement reference = export.Reference();
        float[] torchInput = export.ReadFloats("input.f32");
        using BackboneSession session = Open(out Backbone backbone);
        var decoder = new ImageDecoder();
        int tensorLength = backbone.Preprocessing.TensorLength;
        double maxDiff = 0;
        int index = 0;
        foreach (JsonElement name in reference.GetProperty("images").EnumerateArray())
        {
            string path = Path.Combine(export.ReferenceFolder, name.GetString()!);
            byte[] rgb = decoder.DecodeResized(File.ReadAllBytes(path), backbone.Preprocessing);
            Assert.Equal(PixelBytes(path), rgb); // 224×224 in, 224×224 out: no resampling

            var tensor = new float[tensorLength];
            TensorFiller.Fill(rgb, backbone.Preprocessing, tensor);
            maxDiff = Math.Max(maxDiff, MaxAbsDiff(torchInput.AsSpan(index * tensorLength, tensorLength).ToArray(), tensor).MaxDiff);
            index++;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"TensorFiller vs torchvision Normalize: max |diff| {maxDiff:G3} over {index} images"));
        Assert.Equal(2, index);
        Assert.True(maxDiff < 1e-5, $"TensorFiller differs from torchvision's Normalize by {maxDiff}");
    }

    [ExportRouteFact]
    public void Resizing_with_imagesharp_instead_of_pil_bilinear_changes_pixels_and_features_by_little()
    {
        JsonElement resize = export.Reference().GetProperty("resize");
        using BackboneSession session = Open(out Backbone backbone);
        byte[] ours = new ImageDecoder().DecodeResized(File.ReadAllBytes(Path.Combine(export.ReferenceFolder, resize.GetProperty("source").GetString()!)), backbone.Preprocessing);
        int[] size = resize.GetProperty("source_size").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        byte[] pil = PixelBytes(Path.Combine(export.ReferenceFolder, resize.GetProperty("pil").GetString()!));
        Assert.Equal(pil.Length, ours.Length);

        double meanPixel = ours.Zip(pil, (a, b) => Math.Abs(a - b)).Average();
        int maxPixel = ours.Zip(pil, (a, b) => Math.Abs(a - b)).Max();
        float[] featuresOurs = Features(session, backbone, ours);
        float[] featuresPil = Features(session, backbone, pil);
        double relative = Math.Sqrt(featuresOurs.Zip(featuresPil, (a, b) => (double)(a - b) * (a - b)).Sum() / featuresPil.Sum(v => (double)v * v));
        double cosine = featuresOurs.Zip(featuresPil, (a, b) => (double)a * b).Sum()
            / Math.Sqrt(featuresOurs.Sum(v => (double)v * v) * featuresPil.Sum(v => (double)v * v));
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ImageSharp vs PIL bilinear, {size[0]}x{size[1]} -> 224x224: pixels mean |diff| {meanPixel:F3}, max {maxPixel}; features relative L2 {relative:G3}, cosine {cosine:F5}"));

        Assert.True(meanPixel > 0, "the two resizers agree exactly: the PIL reference is not what it claims");
        Assert.True(meanPixel < 3, $"ImageSharp and PIL resizes differ by {meanPixel} levels on average");
        Assert.True(cosine > 0.95, $"features of the two resizes have cosine {cosine}");
    }

    [ExportRouteFact]
    public async Task Extract_trainhead_and_predict_run_on_the_export()
    {
        export.Exported();
        string manifest = export.Temp.Combine("orl-s1-s2.csv");
        string[] lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "data", "orl-7-3.csv"));
        // Two people of ORL-7/3 (20 images, 14 train / 6 test): the whole path at VGG16's cost (~0.4 s an image on 2 cores).
        string[] kept = [lines[0], .. lines.Skip(1).Where(l => l.Split(',')[1] is "s1" or "s2")
            .Select(l => Path.Combine(TestPaths.RepoRoot, "data", l.Split(',')[0]) + l[l.IndexOf(',', StringComparison.Ordinal)..])];
        File.WriteAllLines(manifest, kept);
        string cache = export.Temp.Combine("cache");
        string head = export.Temp.Combine("head");

        CliRun extract = await CliRun.Extract("--manifest", manifest, "--out", cache, "--model", export.OnnxPath, "--device", "cpu");
        Assert.True(extract.ExitCode == ExitCodes.Success, extract.Error);
        Assert.Single(extract.ErrorLines, l => l.StartsWith("warning: backbone vgg16-notop-torchvision-random is not pretrained", StringComparison.Ordinal));
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cache);
        Assert.Equal(20, reader.RowCount);
        Assert.Equal([512, 7, 7], reader.Identity!.Backbone.FeatureShape);
        await foreach (FeatureRow row in reader.ReadRowsAsync())
        {
            Assert.Equal(FeatureLength, row.Features.Length);
        }

        CliRun train = await CliRun.TrainHead("--features", cache, "--out", head, "--epochs", "3");
        Assert.True(train.ExitCode == ExitCodes.Success, train.Error);

        CliRun evaluate = await CliRun.Predict("evaluate", "--head", head, "--features", cache, "--split", "test", "--out", export.Temp.Combine("report"));
        Assert.True(evaluate.ExitCode == ExitCodes.Success, evaluate.Error);
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(export.Temp.Combine("report", "metrics.json")));
        Assert.Equal(6, metrics.RootElement.GetProperty("count").GetInt32());
        output.WriteLine($"2-person ORL subset, random VGG16 features: test accuracy {metrics.RootElement.GetProperty("accuracy").GetDouble()}");

        CliRun predict = await CliRun.Predict("--head", head, "--model", export.OnnxPath, "--device", "cpu", TestPaths.OrlImage(2, 10));
        Assert.True(predict.ExitCode == ExitCodes.Success, predict.Error);
        Assert.Contains(predict.ErrorLines, l => l.StartsWith("warning: backbone vgg16-notop-torchvision-random is not pretrained", StringComparison.Ordinal));
        string[] csv = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, csv.Length);
        Assert.StartsWith("path,face,face_x,face_y,face_w,face_h,label,confidence,top1,p1", csv[0], StringComparison.Ordinal);
        Assert.Contains(csv[1].Split(',')[6], new[] { "s1", "s2" });
    }

    [ExportRouteFact]
    public void A_torchvision_weights_file_whose_hash_does_not_match_its_name_is_refused_and_nothing_is_written()
    {
        string weights = export.Temp.Combine("vgg16-397923af.pth");
        File.WriteAllBytes(weights, [1, 2, 3]);
        string onnx = export.Temp.Combine("refused", "vgg16-notop-torchvision.onnx");

        (int code, string log) = ExportRoute.RunScript("--weights", weights, "--python", ExportRoute.Python, "--out", onnx);

        Assert.Equal(1, code);
        Assert.Contains("does not start with 397923af (damaged or another file)", log, StringComparison.Ordinal);
        Assert.False(File.Exists(onnx));
        Assert.False(File.Exists(Path.ChangeExtension(onnx, ".sha256")));
    }

    private static byte[] PixelBytes(string path)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(path);
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    private static float[] Features(BackboneSession session, Backbone backbone, byte[] rgb)
    {
        var tensor = new float[backbone.Preprocessing.TensorLength];
        TensorFiller.Fill(rgb, backbone.Preprocessing, tensor);
        var features = new float[FeatureLength];
        session.Run(tensor, 1, features);
        return features;
    }

    private static (double MaxDiff, double MaxReference) MaxAbsDiff(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxReference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            maxReference = Math.Max(maxReference, Math.Abs(expected[i]));
        }

        return (maxDiff, maxReference);
    }

    private BackboneSession Open(out Backbone backbone)
    {
        export.Exported();
        backbone = new BackboneCatalog([]).Resolve(export.OnnxPath, out _);
        return BackboneSession.Open(backbone, DeviceSpec.Cpu, out _);
    }
}
