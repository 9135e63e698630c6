using FacePipeline.Tests.Native;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Export;

/// <summary>scripts/export-vgg16-notop.sh refuses contradictory options in one line, before any Python or download runs.</summary>
public sealed class ExportScriptOptionsTests : IDisposable
{
    private readonly TempFolder temp = new();

    [LinuxFact]
    public void Help_documents_every_option_with_its_default()
    {
        (int code, string output) = ExportRoute.RunScript("--help");

        Assert.Equal(0, code);
        string[] blocks = output.Split("\n  --");
        foreach (string option in new[] { "source", "weights", "out", "python", "venv", "temp-venv", "venv-python", "reference-dir", "resize-image", "check" })
        {
            string block = Assert.Single(blocks, b => b.StartsWith(option + " ", StringComparison.Ordinal));
            Assert.Contains("Default", block, StringComparison.Ordinal);
        }
    }

    [LinuxTheory]
    [InlineData("--weights", "weights.bin", "--weights must be imagenet, random, or a .pth (torchvision) or .h5 (Keras) file, not 'weights.bin'")]
    [InlineData("--weights", "missing.pth", "no such file")]
    [InlineData("--weights", "random|--out|models/vgg16-notop.onnx", "--weights random must not write vgg16-notop.onnx")]
    [InlineData("--source", "torchvision|--out|x/vgg16-notop.onnx", "--source torchvision must not write vgg16-notop.onnx")]
    [InlineData("--source", "tensorflow", "--source must be keras or torchvision, not 'tensorflow'")]
    [InlineData("--python", "/usr/bin/python3|--temp-venv", "--python uses that interpreter without a venv; drop --temp-venv")]
    public void Contradictory_options_fail_with_one_line(string option, string values, string expected)
    {
        string[] rest = values.Split('|');
        (int code, string output) = ExportRoute.RunScript([option, .. rest]);

        Assert.Equal(1, code);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("export-vgg16-notop: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_weights_file_of_the_other_framework_is_refused()
    {
        string keras = temp.Combine("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5");
        File.WriteAllBytes(keras, [0]);

        (int code, string output) = ExportRoute.RunScript("--source", "torchvision", "--weights", keras);

        Assert.Equal(1, code);
        Assert.Contains("is a Keras .h5 file; use --source keras", output, StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();
}
