using FacePipeline.Fixtures;

namespace FacePipeline.Tests.TestSupport;

/// <summary>
/// Writes the small VGG16-notop-contract test network (random weights, NOT pretrained) with a description using the
/// real VGG16 description's preprocessing, so the VGG16 code path runs end to end in seconds.
/// </summary>
public static class FixtureBackbone
{
    /// <summary>Writes <c>NAME.onnx</c> and <c>NAME.json</c> into <paramref name="folder"/> and returns the .onnx path.</summary>
    public static string Write(string folder, string name = "vgg16-notop", int seed = 42)
    {
        Directory.CreateDirectory(folder);
        string onnx = Path.Combine(folder, name + ".onnx");
        OnnxFixtureModels.WriteVggNotopContract(onnx, seed);
        string description = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "models", "vgg16-notop.json"))
            .Replace("\"vgg16-notop.onnx\"", $"\"{name}.onnx\"", StringComparison.Ordinal)
            .Replace("\"name\": \"vgg16-notop\"", $"\"name\": \"{name}\"", StringComparison.Ordinal)
            .Replace("\"pretrained\": \"imagenet\"", "\"pretrained\": \"none\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, name + ".json"), description);
        return onnx;
    }
}
