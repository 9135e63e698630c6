using System.Globalization;
using System.Runtime.InteropServices;
using FacePipeline.Imaging;
using FacePipeline.Storage;
using Google.Protobuf;
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

    /// <summary>0 for a variable batch dimension; else the only batch size the model accepts.</summary>
    private readonly int fixedBatch;

    private BackboneSession(Backbone backbone, InferenceSession session, string device, int fixedBatch, int lanes)
    {
        Backbone = backbone;
        this.session = session;
        this.fixedBatch = fixedBatch;
        Device = device;
        Lanes = lanes;
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

    /// <summary>
    /// 0 when the model runs any batch size (as exported, or after the rewrite); else the fixed batch size it is run
    /// at because the rewrite was not possible.
    /// </summary>
    public int FixedBatchSize => fixedBatch;

    /// <summary>
    /// How many <see cref="Run"/> calls should go at once to use the machine well: 1 for a session that spreads each
    /// call over every core (batched backbones, and any on CUDA); one per core for a session opened at batch size 1 on
    /// the CPU, which runs each call on the calling thread alone (see <see cref="Open(Backbone, DeviceSpec, int, out string?)"/>).
    /// </summary>
    public int Lanes { get; }

    /// <summary>Floats per image in the returned features.</summary>
    public int FeatureLength => Backbone.Identity.FeatureLength;

    /// <summary>
    /// Opens a session on <paramref name="device"/>. A model whose batch dimension is fixed (such as the bundled
    /// ResNet18 and MobileFaceNet, fixed at 1) is rewritten to a symbolic batch dimension first
    /// (<see cref="FixedBatchRewrite"/>), checked against the original on deterministic inputs, and the checked rewrite
    /// is cached beside the model (or in the temp folder) keyed by the model's SHA-256. When the rewrite is impossible
    /// or gives other outputs, the original model runs at its fixed batch size and <paramref name="notice"/> says so.
    /// </summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="device">Requested device.</param>
    /// <param name="notice">Set to a line for people when <c>auto</c> fell back to the CPU, or (one more line) when the
    /// model must run at its fixed batch size.</param>
    /// <exception cref="BackboneException">The model cannot be loaded, or CUDA was required and is unavailable.</exception>
    public static BackboneSession Open(Backbone backbone, DeviceSpec device, out string? notice)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return Open(backbone, device, backbone.PreferredBatchSize, out notice);
    }

    /// <summary>
    /// Opens a session for calls of <paramref name="batchSize"/> images (see <see cref="Open(Backbone, DeviceSpec, out string?)"/>).
    /// At batch size 1 on the CPU the session gets one intra-op thread and <see cref="Lanes"/> = the core count: a small
    /// network such as MobileFaceNet at one image per call spends much of a multi-threaded call waiting for its threads
    /// (measured here: 301 images/s with 2 threads in one caller, 367 with 1 thread in each of 2 callers), and idle
    /// intra-op threads spin on cores the decoding workers need. Larger batches keep every core in one call.
    /// </summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="device">Requested device.</param>
    /// <param name="batchSize">Images per <see cref="Run"/> call the caller will make.</param>
    /// <param name="notice">As for the other overload.</param>
    /// <exception cref="BackboneException">The model cannot be loaded, or CUDA was required and is unavailable.</exception>
    public static BackboneSession Open(Backbone backbone, DeviceSpec device, int batchSize, out string? notice)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int cores = Environment.ProcessorCount;
        bool perCore = batchSize == 1 && cores > 1;
        using SessionOptions options = OnnxSessionOptions.Create(device, perCore ? 1 : cores, out string used, out notice);
        int lanes = perCore && used == "cpu" ? cores : 1;
        try
        {
            string[] rewrites = RewriteCandidates(backbone);
            var session = new InferenceSession(rewrites.FirstOrDefault(File.Exists) ?? backbone.ModelPath, options);
            int fixedBatch = FixedBatchOf(session, backbone);
            if (fixedBatch > 0)
            {
                (session, fixedBatch, string? batchNote) = MakeBatchVariable(backbone, session, fixedBatch, options, rewrites);
                notice = batchNote is null ? notice : notice is null ? batchNote : $"{notice}\n{batchNote}";
            }

            return new BackboneSession(backbone, session, used, fixedBatch, lanes);
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

        if (fixedBatch == 0)
        {
            RunBatch(tensors.AsMemory(0, count * tensorLength), count, features);
        }
        else
        {
            RunInFixedBatches(tensors, count, features);
        }

        if (Backbone.Description.Output.Normalize == FeatureNormalization.L2)
        {
            FeatureNormalizer.L2(features[..(count * FeatureLength)], FeatureLength);
        }
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
        string cacheName = $"{Path.GetFileNameWithoutExtension(backbone.ModelPath)}.{backbone.Identity.ModelSha256[..16]}.variable-batch.onnx";
        return
        [
            Path.Combine(Path.GetDirectoryName(backbone.ModelPath)!, cacheName),
            Path.Combine(Path.GetTempPath(), "facepipeline", cacheName),
        ];
    }

    /// <summary>The batch size fixed in the model's input, or 0 when it is symbolic.</summary>
    private static int FixedBatchOf(InferenceSession session, Backbone backbone)
    {
        string name = backbone.Description.Input.Name ?? session.InputMetadata.Keys.First();
        int[] dims = session.InputMetadata.TryGetValue(name, out NodeMetadata? input) ? input.Dimensions : [];
        return dims.Length > 0 && dims[0] > 0 ? dims[0] : 0;
    }

    /// <summary>
    /// Rewrites the model behind <paramref name="original"/> to a variable batch and verifies it; returns the session
    /// to use, its fixed batch size (0 = variable) and the note when it stays fixed.
    /// </summary>
    private static (InferenceSession Session, int FixedBatch, string? Note) MakeBatchVariable(
        Backbone backbone, InferenceSession original, int fixedBatch, SessionOptions options, string[] candidates)
    {
        string? problem;
        InferenceSession? rewritten = null;
        byte[]? bytes = null;
        try
        {
            ModelProto model = OnnxModelFile.Read(backbone.ModelPath);
            problem = FixedBatchRewrite.Apply(model, fixedBatch);
            if (problem is null)
            {
                bytes = model.ToByteArray();
                rewritten = new InferenceSession(bytes, options);
                problem = VerifyRewrite(backbone, original, rewritten, fixedBatch);
            }
        }
        catch (OnnxRuntimeException error)
        {
            problem = $"ONNX Runtime rejects the rewrite: {FirstLine(error.Message)}";
        }

        if (problem is not null || rewritten is null || bytes is null)
        {
            rewritten?.Dispose();
            string images = fixedBatch == 1 ? "one image" : $"{fixedBatch} images";
            return (original, fixedBatch, $"note: {Path.GetFileName(backbone.ModelPath)}: its batch dimension is fixed at {fixedBatch} and cannot be made variable ({problem}); running {images} at a time");
        }

        original.Dispose();
        WriteRewrite(bytes, candidates);
        return (rewritten, 0, null);
    }

    /// <summary>
    /// Runs both models on deterministic inputs: the rewrite at the original batch size and at twice it must give the
    /// original's outputs (up to float summation order). Returns null when they agree, else what differed.
    /// </summary>
    private static string? VerifyRewrite(Backbone backbone, InferenceSession original, InferenceSession rewritten, int fixedBatch)
    {
        BackboneDescription d = backbone.Description;
        string input = d.Input.Name ?? original.InputMetadata.Keys.Single();
        string output = d.Output.Name ?? original.OutputMetadata.Keys.Single();
        int length = backbone.Preprocessing.TensorLength;
        var tensors = new float[2 * fixedBatch * length];
        for (int i = 0; i < tensors.Length; i++)
        {
            // A smooth pattern that differs between images, of the order of preprocessed pixel values.
            tensors[i] = (float)(1.5 * Math.Sin((i * 0.0173) + (i / length * 0.7)));
        }

        float[] expected = [.. RunRaw(original, backbone, input, output, tensors.AsMemory(0, fixedBatch * length), fixedBatch),
            .. RunRaw(original, backbone, input, output, tensors.AsMemory(fixedBatch * length), fixedBatch)];
        float[] single = RunRaw(rewritten, backbone, input, output, tensors.AsMemory(0, fixedBatch * length), fixedBatch);
        float[] twice = RunRaw(rewritten, backbone, input, output, tensors, 2 * fixedBatch);
        if (single.Length * 2 != expected.Length || twice.Length != expected.Length)
        {
            return $"the rewrite returns {twice.Length / (2 * fixedBatch)} values per image at batch {2 * fixedBatch}, the original {expected.Length / (2 * fixedBatch)}";
        }

        float largest = expected.Max(Math.Abs);
        float tolerance = 1e-4f + (1e-4f * largest);
        for (int i = 0; i < expected.Length; i++)
        {
            float difference = Math.Max(i < single.Length ? Math.Abs(single[i] - expected[i]) : 0f, Math.Abs(twice[i] - expected[i]));
            if (!(difference <= tolerance))
            {
                return string.Create(CultureInfo.InvariantCulture, $"the rewrite's output differs from the original's by {difference:G3} at value {i}");
            }
        }

        return null;
    }

    private static float[] RunRaw(InferenceSession session, Backbone backbone, string input, string output, Memory<float> tensors, int count)
    {
        Preprocessing p = backbone.Preprocessing;
        long[] shape = p.Layout == TensorLayout.Nchw ? [count, 3, p.HeightPx, p.WidthPx] : [count, p.HeightPx, p.WidthPx, 3];
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensors, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [input], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Caches a verified rewrite in the first writable place; not caching only costs the rewrite next time.</summary>
    private static void WriteRewrite(byte[] bytes, string[] candidates)
    {
        foreach (string candidate in candidates)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(candidate)!);
                AtomicFile.WriteByPath(candidate, path => File.WriteAllBytes(path, bytes));
                return;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Not writable here: try the next place.
            }
        }
    }

    private void RunBatch(ReadOnlyMemory<float> tensors, int count, Span<float> features)
    {
        Preprocessing p = Backbone.Preprocessing;
        long[] shape = p.Layout == TensorLayout.Nchw ? [count, 3, p.HeightPx, p.WidthPx] : [count, p.HeightPx, p.WidthPx, 3];
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(tensors), shape);
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

    /// <summary>Runs a model that takes exactly <see cref="fixedBatch"/> images per call; the last call is padded.</summary>
    private void RunInFixedBatches(float[] tensors, int count, Span<float> features)
    {
        float[]? padded = null;
        float[]? paddedFeatures = null;
        for (int start = 0; start < count; start += fixedBatch)
        {
            int images = Math.Min(fixedBatch, count - start);
            Span<float> target = features.Slice(start * FeatureLength, images * FeatureLength);
            if (images == fixedBatch)
            {
                RunBatch(tensors.AsMemory(start * tensorLength, fixedBatch * tensorLength), fixedBatch, target);
                continue;
            }

            padded ??= new float[fixedBatch * tensorLength];
            paddedFeatures ??= new float[fixedBatch * FeatureLength];
            tensors.AsSpan(start * tensorLength, images * tensorLength).CopyTo(padded);
            RunBatch(padded, fixedBatch, paddedFeatures);
            paddedFeatures.AsSpan(0, images * FeatureLength).CopyTo(target);
        }
    }

    private static string FirstLine(string text)
    {
        string line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
