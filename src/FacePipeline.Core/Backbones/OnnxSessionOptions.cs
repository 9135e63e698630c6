using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Backbones;

/// <summary>
/// The ONNX Runtime session options and device choice shared by every session we open (backbones and face
/// detectors): full graph optimisation, sequential execution, and the CUDA execution provider when asked for.
/// </summary>
public static class OnnxSessionOptions
{
    /// <summary>Creates session options for <paramref name="device"/>.</summary>
    /// <param name="device">Requested device.</param>
    /// <param name="intraOpThreads">Threads ONNX Runtime may use inside one operator (a detector and a backbone sharing the cores each get part of them).</param>
    /// <param name="used">Where the session will run: <c>cpu</c> or <c>cuda:N</c>.</param>
    /// <param name="notice">Set to a line for people when <c>auto</c> fell back to the CPU.</param>
    /// <exception cref="BackboneException">CUDA was required and is unavailable.</exception>
    public static SessionOptions Create(DeviceSpec device, int intraOpThreads, out string used, out string? notice)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(intraOpThreads, 1);
        notice = null;
        used = "cpu";
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,

            // Warnings such as "Removing initializer ... not used" from converted models say nothing a user can act on.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (device.Kind == DeviceKind.Cpu)
        {
            return options;
        }

        CudaProviderLibraries? provider = CudaProviderLibraries.Bundled();
        string remedy = provider?.Remedy ?? "install the CUDA and cuDNN versions ONNX Runtime 1.31's CUDA provider needs";
        // Probed first: ONNX Runtime itself would print a red "[E:onnxruntime:...] Failed to load library" line on
        // stderr (its process-wide logger, not the session's level) before failing.
        IReadOnlyList<string> missing = provider?.Missing() ?? [];
        string? reason = missing.Count > 0 ? $"{string.Join(", ", missing)} not found" : null;
        OnnxRuntimeException? failure = null;
        if (reason is null)
        {
            try
            {
                options.AppendExecutionProvider_CUDA(device.CudaDeviceId);
                used = $"cuda:{device.CudaDeviceId}";
                return options;
            }
            catch (OnnxRuntimeException error)
            {
                reason = FirstLine(error.Message);
                failure = error;
            }
        }

        if (device.Kind == DeviceKind.Cuda)
        {
            options.Dispose();
            string message = $"{device}: CUDA execution provider unavailable ({reason}); {remedy}, or use --device cpu";
            throw failure is null ? new BackboneException(message) : new BackboneException(message, failure);
        }

        notice = $"note: CUDA unavailable ({reason}); running on CPU";
        return options;
    }

    /// <summary>The first line of an ONNX Runtime message, at most 300 characters.</summary>
    public static string FirstLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
