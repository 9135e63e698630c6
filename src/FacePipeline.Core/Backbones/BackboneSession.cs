using FacePipeline.Imaging;
using FacePipeline.Storage;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FacePipeline.Backbones;

/// <summary>
/// One ONNX Runtime session for a backbone, created once and reused (creation is expensive; <see cref="Run"/> is
/// thread-safe). Takes preprocessed image tensors and returns flattened (optionally pooled) features.
/// </summary>
public sealed class BackboneSession : IDisposable
{
    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly string outputName;
    private readonly int tensorLength;
    private readonly int outputLength;

    private BackboneSession(Backbone backbone, InferenceSession session, string device)
    {
        Backbone = backbone;
        this.session = session;
        Device = device;
        BackboneDescription description = backbone.Description;
        inputName = description.Input.Name ?? session.InputMetadata.Keys.Single();
        outputName = description.Output.Name ?? session.OutputMetadata.Keys.Single();
        if (!session.InputMetadata.ContainsKey(inputName))
        {
            throw new BackboneException($"{backbone.ModelPath}: no input named '{inputName}' (model inputs: {string.Join(", ", session.InputMetadata.Keys)})");
        }

        if (!session.OutputMetadata.ContainsKey(outputName))
        {
            throw new BackboneException($"{backbone.ModelPath}: no output named '{outputName}' (model outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
        }

        CheckShapes(backbone, session.InputMetadata[inputName].Dimensions, session.OutputMetadata[outputName].Dimensions);
        tensorLength = backbone.Preprocessing.TensorLength;
        outputLength = description.Output.Shape.Aggregate(1, (product, dim) => product * dim);
    }

    /// <summary>The backbone this session runs.</summary>
    public Backbone Backbone { get; }

    /// <summary>Where it runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; }

    /// <summary>Floats per image in the returned features.</summary>
    public int FeatureLength => Backbone.Identity.FeatureLength;

    /// <summary>
    /// Opens a session on <paramref name="device"/>. A model whose batch dimension is fixed (such as the bundled
    /// ResNet18, fixed at 1) is rewritten to a symbolic batch dimension first, and the rewrite is cached beside the
    /// model (or in the temp folder) keyed by the model's SHA-256.
    /// </summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="device">Requested device.</param>
    /// <param name="notice">Set to a line for people when <c>auto</c> fell back to the CPU.</param>
    /// <exception cref="BackboneException">The model cannot be loaded, or CUDA was required and is unavailable.</exception>
    public static BackboneSession Open(Backbone backbone, DeviceSpec device, out string? notice)
    {
        using SessionOptions options = OnnxSessionOptions.Create(device, Environment.ProcessorCount, out string used, out notice);
        try
        {
            string[] rewrites = RewriteCandidates(backbone);
            var session = new InferenceSession(rewrites.FirstOrDefault(File.Exists) ?? backbone.ModelPath, options);
            if (session.InputMetadata.Values.Any(input => input.Dimensions.Length > 0 && input.Dimensions[0] > 0))
            {
                session.Dispose();
                session = new InferenceSession(WriteDynamicBatchModel(backbone, rewrites), options);
            }

            return new BackboneSession(backbone, session, used);
        }
        catch (OnnxRuntimeException error)
        {
            throw new BackboneException($"{backbone.ModelPath}: ONNX Runtime cannot load the model ({FirstLine(error.Message)})", error);
        }
    }

    /// <summary>
    /// Runs <paramref name="count"/> preprocessed images stored back to back in <paramref name="tensors"/>
    /// (each <see cref="Preprocessing.TensorLength"/> floats) and writes their features back to back into
    /// <paramref name="features"/> (each <see cref="FeatureLength"/> floats).
    /// </summary>
    public void Run(float[] tensors, int count, Span<float> features)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (tensors.Length < count * tensorLength || features.Length < count * FeatureLength)
        {
            throw new ArgumentException("buffers are too small for the batch");
        }

        Preprocessing p = Backbone.Preprocessing;
        long[] shape = p.Layout == TensorLayout.Nchw ? [count, 3, p.HeightPx, p.WidthPx] : [count, p.HeightPx, p.WidthPx, 3];
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensors.AsMemory(0, count * tensorLength), shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [inputName], [input], [outputName]);
        ReadOnlySpan<float> output = outputs[0].GetTensorDataAsSpan<float>();
        if (output.Length != count * outputLength)
        {
            throw new BackboneException($"{Backbone.ModelPath}: output has {output.Length / count} values per image, description says {outputLength}");
        }

        if (Backbone.Description.Output.Pooling == FeaturePooling.None)
        {
            output.CopyTo(features);
            return;
        }

        FeaturePool.Average(output, count, Backbone.Description.Output.Shape, Backbone.Preprocessing.Layout, features);
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();

    private static void CheckShapes(Backbone backbone, int[] inputDims, int[] outputDims)
    {
        BackboneDescription d = backbone.Description;
        int[] expectedInput = d.Input.Layout == TensorLayout.Nchw ? [3, d.Input.Height, d.Input.Width] : [d.Input.Height, d.Input.Width, 3];
        if (inputDims.Length != 4 || !inputDims.Skip(1).Zip(expectedInput).All(pair => pair.First <= 0 || pair.First == pair.Second))
        {
            throw new BackboneException(
                $"{backbone.ModelPath}: input shape [{string.Join(',', inputDims)}] does not match the description ({d.Input.Layout}, {d.Input.Width}x{d.Input.Height}x3)");
        }

        if (outputDims.Length != d.Output.Shape.Count + 1 || !outputDims.Skip(1).Zip(d.Output.Shape).All(pair => pair.First <= 0 || pair.First == pair.Second))
        {
            throw new BackboneException(
                $"{backbone.ModelPath}: output shape [{string.Join(',', outputDims)}] does not match the description [N,{string.Join(',', d.Output.Shape)}]");
        }
    }

    /// <summary>Where the symbolic-batch rewrite of a fixed-batch model is cached: beside the model, else in the temp folder.</summary>
    private static string[] RewriteCandidates(Backbone backbone)
    {
        string cacheName = $"{Path.GetFileNameWithoutExtension(backbone.ModelPath)}.{backbone.Identity.ModelSha256[..16]}.dynamic-batch.onnx";
        return
        [
            Path.Combine(Path.GetDirectoryName(backbone.ModelPath)!, cacheName),
            Path.Combine(Path.GetTempPath(), "facepipeline", cacheName),
        ];
    }

    private static string WriteDynamicBatchModel(Backbone backbone, string[] candidates)
    {
        ModelProto model = OnnxModelFile.Read(backbone.ModelPath);

        // OnnxSharp sets the leading dimension of inputs, outputs, value infos and Reshape shapes to a symbolic 'N'.
        model.Graph.SetDim();
        foreach (string candidate in candidates)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(candidate)!);
                AtomicFile.WriteByPath(candidate, model.WriteToFile);
                return candidate;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Not writable here: try the next place.
            }
        }

        throw new BackboneException($"{backbone.ModelPath}: cannot write the batch-dimension rewrite to {string.Join(" or ", candidates)}");
    }

    private static string FirstLine(string text)
    {
        string line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
