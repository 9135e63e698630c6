using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Backbones;

/// <summary>
/// The CUDA remedy is derived from the bundled provider library's needed libraries, the README says the same, and on
/// a machine without CUDA a default run falls back with our one note and no ONNX Runtime error line.
/// </summary>
public sealed class CudaProviderTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void The_remedy_names_the_cuda_libraries_the_bundled_provider_links()
    {
        CudaProviderLibraries provider = Assert.IsType<CudaProviderLibraries>(CudaProviderLibraries.Bundled());

        // Microsoft.ML.OnnxRuntime.Gpu 1.31.0's provider links the CUDA 13 runtime (readelf -d shows the same).
        Assert.Contains("libcudart.so.13", provider.Needed);
        Assert.Contains("libcublasLt.so.13", provider.Needed);
        Assert.Contains("libcublas.so.13", provider.Needed);
        Assert.Contains("libcuda.so.1", provider.Needed);
        Assert.DoesNotContain(provider.Needed, n => !n.StartsWith("libcu", StringComparison.Ordinal));
        Assert.Equal(13, provider.CudaMajor);
        Assert.StartsWith("install CUDA 13 (", provider.Remedy, StringComparison.Ordinal);
        Assert.All(provider.Needed, n => Assert.Contains(n, provider.Remedy, StringComparison.Ordinal));
        Assert.Contains("cuDNN 9", provider.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_names_the_same_cuda_version_and_libraries()
    {
        CudaProviderLibraries provider = CudaProviderLibraries.Bundled()!;
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));

        Assert.Contains($"CUDA {provider.CudaMajor}", readme, StringComparison.Ordinal);
        Assert.All(provider.Needed, n => Assert.Contains(n, readme, StringComparison.Ordinal));
        foreach (int other in new[] { 11, 12, 14 })
        {
            Assert.DoesNotContain($"CUDA {other}", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Device_cuda_without_cuda_fails_with_the_derived_remedy()
    {
        CudaProviderLibraries provider = CudaProviderLibraries.Bundled()!;
        if (provider.Missing().Count == 0)
        {
            return; // A machine with CUDA: nothing to refuse.
        }

        (string images, string model) = WriteInput();
        CliRun run = await CliRun.Extract("--images", images, "--out", temp.Combine("cache"), "--model", model, "--device", "cuda");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string error = Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith("error: cuda:0: CUDA execution provider unavailable (", error, StringComparison.Ordinal);
        Assert.EndsWith($"; {provider.Remedy}, or use --device cpu", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_default_run_without_cuda_prints_our_note_and_no_onnx_runtime_error_line()
    {
        if (CudaProviderLibraries.Bundled()!.Missing().Count == 0)
        {
            return; // A machine with CUDA runs on it: no fallback to check.
        }

        (string images, string model) = WriteInput();
        using ProgramProcess process = ProgramProcess.Start("Extract", "--images", images, "--out", temp.Combine("cache"), "--model", model);
        CliRun run = await process.WaitAsync();

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.DoesNotContain("[E:onnxruntime", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", run.Error, StringComparison.Ordinal);
        Assert.Single(run.ErrorLines, l => l.StartsWith("note: CUDA unavailable (", StringComparison.Ordinal) && l.EndsWith(" not found); running on CPU", StringComparison.Ordinal));
    }

    public void Dispose() => temp.Dispose();

    private (string Images, string Model) WriteInput()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"));
        string images = temp.Combine("images");
        Directory.CreateDirectory(Path.Combine(images, "s1"));
        File.Copy(TestPaths.OrlImage(1, 1), Path.Combine(images, "s1", "1.pgm"));
        return (images, model);
    }
}
