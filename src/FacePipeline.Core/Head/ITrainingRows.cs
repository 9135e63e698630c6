using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>The training and validation rows of one training, in memory or streamed from the cache.</summary>
internal interface ITrainingRows : IDisposable
{
    /// <summary>Training rows.</summary>
    int TrainCount { get; }

    /// <summary>Validation rows.</summary>
    int ValidationCount { get; }

    /// <summary>One epoch's shuffled training batches; every draw comes from <paramref name="shuffle"/>.</summary>
    IEnumerable<RowBatch> TrainBatches(Random shuffle, int batchSize, CancellationToken cancellationToken);

    /// <summary>The validation rows in chunks of at most <see cref="TrainingMemory.ValidationChunkRows"/>, in a fixed order.</summary>
    IEnumerable<RowBatch> ValidationBatches(CancellationToken cancellationToken);

    /// <summary>The batch's inputs and classes on the training device, in the current dispose scope.</summary>
    (Tensor X, Tensor Y) ToTensors(RowBatch batch);

    /// <summary>Per-feature mean and population standard deviation of the training rows (one pass, float64 sums).</summary>
    FeatureMoments TrainMoments(CancellationToken cancellationToken);
}
