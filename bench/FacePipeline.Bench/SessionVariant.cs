using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Bench;

/// <summary>One set of ONNX Runtime session options to compare with what <c>BackboneSession.Open</c> uses.</summary>
/// <param name="Name">Short name for the tables.</param>
/// <param name="Description">What differs from the current options.</param>
/// <param name="Configure">Applies the options.</param>
/// <param name="UsesOptimizedModel">Opens the model saved by a session with the current options (<c>OptimizedModelFilePath</c>) instead of the original.</param>
internal sealed record SessionVariant(string Name, string Description, Action<SessionOptions> Configure, bool UsesOptimizedModel = false)
{
    /// <summary>The options <c>BackboneSession.Open</c> hard-codes today (CPU).</summary>
    public static SessionVariant Current { get; } = new(
        "current",
        "ORT_ENABLE_ALL, ORT_SEQUENTIAL, IntraOpNumThreads = cores, InterOpNumThreads = 1, memory pattern on, spinning on (BackboneSession.Open for batches above 1; at batch 1 it opens 1 thread and is called from one worker per core)",
        _ => { });

    /// <summary>The alternatives tried.</summary>
    public static IReadOnlyList<SessionVariant> Alternatives { get; } =
    [
        new("intra1", "IntraOpNumThreads = 1", o => o.IntraOpNumThreads = 1),
        new("extended", "GraphOptimizationLevel = ORT_ENABLE_EXTENDED (no NCHWc layout transformation)", o => o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
        new("basic", "GraphOptimizationLevel = ORT_ENABLE_BASIC", o => o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC),
        new("parallel", "ExecutionMode = ORT_PARALLEL, InterOpNumThreads = cores", o =>
        {
            o.ExecutionMode = ExecutionMode.ORT_PARALLEL;
            o.InterOpNumThreads = Environment.ProcessorCount;
        }),
        new("no-mem-pattern", "EnableMemoryPattern = false", o => o.EnableMemoryPattern = false),
        new("no-spinning", "session.intra_op.allow_spinning = 0 (idle intra-op threads sleep instead of spinning)", o => o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0")),
        new(
            "saved-optimized",
            "open the graph saved by an ORT_ENABLE_ALL session (OptimizedModelFilePath) with ORT_DISABLE_ALL: skips graph optimisation at open",
            o => o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
            UsesOptimizedModel: true),
    ];

    /// <summary>Session options: the current ones with this variant applied.</summary>
    public SessionOptions Create()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        Configure(options);
        return options;
    }
}
