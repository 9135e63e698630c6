using System.Runtime.InteropServices;

namespace FacePipeline.Backbones;

/// <summary>
/// What the bundled ONNX Runtime CUDA execution provider (<c>libonnxruntime_providers_cuda.so</c>) needs, read from
/// the library itself (its <c>DT_NEEDED</c> entries) so the remedy we print cannot drift from the package: the CUDA
/// runtime libraries it links (<c>libcudart.so.13</c> names CUDA 13) and the driver (<c>libcuda.so.1</c>). cuDNN is
/// not linked but loaded by the provider at run time; its major version (9) is ONNX Runtime's documented requirement.
/// Probing them with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/> first lets <c>--device auto</c> fall
/// back quietly instead of ONNX Runtime printing its own red error line.
/// </summary>
public sealed class CudaProviderLibraries
{
    /// <summary>The provider library's file name.</summary>
    public const string ProviderFileName = "libonnxruntime_providers_cuda.so";

    /// <summary>The cuDNN major version ONNX Runtime's CUDA provider loads.</summary>
    public const int CudnnMajor = 9;

    private CudaProviderLibraries(string providerPath, IReadOnlyList<string> needed)
    {
        ProviderPath = providerPath;
        Needed = needed;
    }

    /// <summary>The provider library that was read.</summary>
    public string ProviderPath { get; }

    /// <summary>The CUDA libraries it links (<c>libcu*</c>), in its order.</summary>
    public IReadOnlyList<string> Needed { get; }

    /// <summary>The CUDA major version, from the <c>libcudart.so.N</c> it links; null when it names none.</summary>
    public int? CudaMajor =>
        Needed.Where(n => n.StartsWith("libcudart.so.", StringComparison.Ordinal))
            .Select(n => int.TryParse(n["libcudart.so.".Length..], out int major) ? major : (int?)null)
            .FirstOrDefault();

    /// <summary>What to install, e.g. <c>install CUDA 13 (libcublasLt.so.13, …) and cuDNN 9</c>.</summary>
    public string Remedy
    {
        get
        {
            string cuda = CudaMajor is int major ? $"CUDA {major}" : "CUDA";
            string libraries = string.Join(", ", Needed.Where(n => n != "libcuda.so.1"));
            string driver = Needed.Contains("libcuda.so.1") ? " with the NVIDIA driver (libcuda.so.1)" : string.Empty;
            return $"install {cuda} ({libraries}) and cuDNN {CudnnMajor}{driver} on the library path (LD_LIBRARY_PATH)";
        }
    }

    /// <summary>The bundled provider's requirements, or null where there is no such library (not Linux, CPU-only package).</summary>
    public static CudaProviderLibraries? Bundled()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, ProviderFileName),
            Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", ProviderFileName),
        ];
        string? path = candidates.FirstOrDefault(File.Exists);
        return path is null ? null : Read(path);
    }

    /// <summary>Reads the requirements of the provider library at <paramref name="providerPath"/>.</summary>
    public static CudaProviderLibraries Read(string providerPath) =>
        new(providerPath, ElfDependencies.Needed(providerPath).Where(n => n.StartsWith("libcu", StringComparison.Ordinal)).ToList());

    /// <summary>The needed CUDA libraries this process cannot load.</summary>
    public IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        foreach (string name in Needed)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                // The provider loads it again; our handle is not needed.
                NativeLibrary.Free(handle);
            }
            else
            {
                missing.Add(name);
            }
        }

        return missing;
    }
}
