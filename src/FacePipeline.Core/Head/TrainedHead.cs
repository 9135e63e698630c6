using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>The outcome of training: weights (on the CPU) or prototypes, labels, history and the numbers written into head.json.</summary>
/// <param name="Weights">State dictionary of the <see cref="HeadModel"/> (owned by this record); empty for a prototype head.</param>
/// <param name="InputSize">Features per image.</param>
/// <param name="Labels">Labels in class-index order.</param>
/// <param name="History">One record per epoch run (none for a prototype head).</param>
/// <param name="BestEpoch">Epoch whose weights were kept (0 for a prototype head).</param>
/// <param name="ValidationLoss">Validation loss of the kept weights, or null without validation rows or for prototypes.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the kept weights (prototypes: of those fitted on the training rows), or null without validation rows.</param>
/// <param name="SuggestedUnknownThreshold">The head's unknown threshold (score below which a face is called unknown), or null.</param>
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
    /// <summary>The kind of head.</summary>
    public HeadKind Kind { get; init; } = HeadKind.Mlp;

    /// <summary>The prototypes (classes × <see cref="InputSize"/>, row-major) of a prototype head; null for the mlp.</summary>
    public float[]? Prototypes { get; init; }

    /// <summary>How the kind was chosen, or null when not recorded.</summary>
    public HeadSelection? Selection { get; init; }

    /// <summary>The calibration of <see cref="SuggestedUnknownThreshold"/> on strangers, or null when it was set from known faces only.</summary>
    public StrangerCalibration? Strangers { get; init; }

    /// <summary>The head as a scorer (the caller disposes it).</summary>
    public IHeadScorer Scorer() => Kind == HeadKind.Prototype
        ? new PrototypeScorer(Prototypes!, InputSize)
        : MlpScorer.FromWeights(Weights, InputSize, Labels.Count);

    /// <summary>Disposes the weight tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor weight in Weights.Values)
        {
            weight.Dispose();
        }
    }
}
