using System.Text.Json;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Export;

/// <summary>
/// Exports VGG16-notop once per test run (torchvision route, <c>--weights random</c>, ~20 s on 2 cores) into a temporary
/// folder, with the reference inputs and outputs torch computed for its check images.
/// </summary>
public sealed class Vgg16ExportFixture : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly Lazy<(int ExitCode, string Output)> export;

    /// <summary>Sets up the folder; the export itself runs on first use (and never when the route is skipped).</summary>
    public Vgg16ExportFixture()
    {
        export = new Lazy<(int, string)>(() => ExportRoute.RunScript(
            "--source", "torchvision", "--weights", "random", "--python", ExportRoute.Python,
            "--out", OnnxPath, "--reference-dir", ReferenceFolder, "--resize-image", TestPaths.OrlImage(1, 1)));
    }

    /// <summary>The exported model.</summary>
    public string OnnxPath => temp.Combine("models", "vgg16-notop-torchvision-random.onnx");

    /// <summary>Its description, written by the script.</summary>
    public string DescriptionPath => Path.ChangeExtension(OnnxPath, ".json");

    /// <summary>Torch's reference inputs and outputs.</summary>
    public string ReferenceFolder => temp.Combine("reference");

    /// <summary>A scratch folder.</summary>
    public TempFolder Temp => temp;

    /// <summary>Runs the export (once) and fails the calling test with the script's output if it failed.</summary>
    public string Exported()
    {
        (int code, string output) = export.Value;
        Assert.True(code == 0, $"export-vgg16-notop.sh exited {code}:\n{output}");
        return output;
    }

    /// <summary>reference.json.</summary>
    public JsonElement Reference()
    {
        Exported();
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceFolder, "reference.json")));
        return document.RootElement.Clone();
    }

    /// <summary>A little-endian float32 file of the reference folder.</summary>
    public float[] ReadFloats(string name)
    {
        Exported();
        byte[] bytes = File.ReadAllBytes(Path.Combine(ReferenceFolder, name));
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => temp.Dispose();
}
