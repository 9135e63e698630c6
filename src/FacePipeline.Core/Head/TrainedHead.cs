using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>The outcome of training: weights (on the CPU), labels, history and the numbers written into head.json.</summary>
/// <param name="Weights">State dictionary of the <see cref="HeadModel"/> (owned by this record).</param>
/// <param name="InputSize">Features per image.</param>
/// <param name="Labels">Labels in class-index order.</param>
/// <param name="History">One record per epoch run.</param>
/// <param name="BestEpoch">Epoch whose weights were kept.</param>
/// <param name="ValidationLoss">Validation loss of the kept weights, or null without validation rows.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the kept weights, or null without validation rows.</param>
/// <param name="SuggestedUnknownThreshold">Suggested top-1 probability below which a face is called unknown, or null.</param>
/// <param name="TrainCount">Training rows.</param>
/// <param name="ValidationCount">Validation rows.</param>
/// <param name="ClassesWithoutValidation">Classes with too few rows to give one to validation.</param>
/// <param name="TestRowsSkipped">Cache rows with split test, left out.</param>
public sealed record TrainedHead(
    Dictionary<string, Tensor> Weights,
    int InputSize,
    IReadOnlyList<string> Labels,
    IReadOnlyList<EpochRecord> History,
    int BestEpoch,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? SuggestedUnknownThreshold,
    int TrainCount,
    int ValidationCount,
    int ClassesWithoutValidation,
    int TestRowsSkipped) : IDisposable
{
    /// <summary>Disposes the weight tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor weight in Weights.Values)
        {
            weight.Dispose();
        }
    }
}
