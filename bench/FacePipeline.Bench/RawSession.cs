using FacePipeline.Backbones;
using FacePipeline.Imaging;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FacePipeline.Bench;

/// <summary>
/// A backbone session opened with chosen options: the same input binding as <c>BackboneSession.Run</c> (an
/// <see cref="OrtValue"/> over the tensor array, one output by name), without the pooling and checks.
/// </summary>
internal sealed class RawSession : IDisposable
{
    private readonly InferenceSession session;
    private readonly Preprocessing preprocessing;
    private readonly string inputName;
    private readonly string outputName;
    private readonly RunOptions runOptions = new();

    public RawSession(Backbone backbone, string dynamicModelPath, SessionVariant variant)
    {
        using SessionOptions options = variant.Create();
        session = new InferenceSession(dynamicModelPath, options);
        preprocessing = backbone.Preprocessing;
        inputName = backbone.Description.Input.Name ?? session.InputMetadata.Keys.Single();
        outputName = backbone.Description.Output.Name ?? session.OutputMetadata.Keys.Single();
    }

    /// <summary>Runs <paramref name="count"/> images stored back to back in <paramref name="tensors"/>.</summary>
    public void Run(float[] tensors, int count)
    {
        Preprocessing p = preprocessing;
        long[] shape = p.Layout == TensorLayout.Nchw ? [count, 3, p.HeightPx, p.WidthPx] : [count, p.HeightPx, p.WidthPx, 3];
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensors.AsMemory(0, count * p.TensorLength), shape);
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [inputName], [input], [outputName]);
    }

    /// <summary>Saves the graph a session with the current options produces (hardware-specific: NCHWc layout) and returns its path.</summary>
    public static string SaveOptimized(string dynamicModelPath, string workFolder)
    {
        string path = Path.Combine(workFolder, Path.GetFileNameWithoutExtension(dynamicModelPath) + ".ort-optimized.onnx");
        using SessionOptions options = SessionVariant.Current.Create();
        options.OptimizedModelFilePath = path;
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR; // the warning that the saved graph is hardware-specific is expected here
        using var session = new InferenceSession(dynamicModelPath, options);
        return path;
    }

    /// <summary>
    /// The model with a symbolic batch dimension: the model itself when its batch is already symbolic, else a rewrite
    /// into <paramref name="workFolder"/> (as <c>BackboneSession.Open</c> does with OnnxSharp).
    /// </summary>
    public static string DynamicModel(Backbone backbone, string workFolder)
    {
        ModelProto model = ModelProto.Parser.ParseFromFile(backbone.ModelPath);
        bool fixedBatch = model.Graph.Input.Any(i => i.Type?.TensorType?.Shape?.Dim.Count > 0 && i.Type.TensorType.Shape.Dim[0].DimValue > 0);
        if (!fixedBatch)
        {
            return backbone.ModelPath;
        }

        model.Graph.SetDim();
        Directory.CreateDirectory(workFolder);
        string path = Path.Combine(workFolder, Path.GetFileNameWithoutExtension(backbone.ModelPath) + ".dynamic-batch.onnx");
        model.WriteToFile(path);
        return path;
    }

    public void Dispose()
    {
        runOptions.Dispose();
        session.Dispose();
    }
}
