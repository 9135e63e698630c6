using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>
/// Rows of a <see cref="TrainingSet"/> held in memory: each batch's rows are copied out of the one managed matrix
/// into a batch tensor (32 rows, a few MB at most), so no tensor copy of the matrix, nor train or validation copies,
/// is ever made. Gathering through <c>index_select</c> from a tensor of all rows instead grew the resident memory
/// without bound while training (measured: 16 000 × 2 048 floats, 125 MiB, rose past 2 GB in one epoch).
/// </summary>
internal sealed class InMemoryRows : ITrainingRows
{
    private readonly TrainingSet data;
    private readonly int[] trainRows;
    private readonly int[] validationRows;
    private readonly int[] order;
    private readonly Device device;

    public InMemoryRows(TrainingSet data, int[] trainRows, int[] validationRows, Device device)
    {
        this.data = data;
        this.trainRows = trainRows;
        this.validationRows = validationRows;
        this.device = device;
        order = Enumerable.Range(0, trainRows.Length).ToArray();
    }

    public int TrainCount => trainRows.Length;

    public int ValidationCount => validationRows.Length;

    public IEnumerable<RowBatch> TrainBatches(Random shuffle, int batchSize, CancellationToken cancellationToken)
    {
        // The order persists between epochs and is reshuffled in place, as it always was: same seed, same batches.
        shuffle.Shuffle(order);
        return Batches(order.Select(i => trainRows[i]), batchSize);
    }

    public IEnumerable<RowBatch> ValidationBatches(CancellationToken cancellationToken) => Batches(validationRows, TrainingMemory.ValidationChunkRows);

    public (Tensor X, Tensor Y) ToTensors(RowBatch batch) =>
        (torch.tensor(batch.Features!, [batch.Count, data.FeatureLength]).to(device), torch.tensor(batch.Classes!).to(device));

    public FeatureMoments TrainMoments(CancellationToken cancellationToken)
    {
        var moments = new FeatureMoments(data.FeatureLength);
        foreach (int row in trainRows)
        {
            moments.Add(Row(row));
        }

        return moments;
    }

    public void Dispose()
    {
    }

    private ReadOnlySpan<float> Row(int row) => data.Features.AsSpan(row * data.FeatureLength, data.FeatureLength);

    private IEnumerable<RowBatch> Batches(IEnumerable<int> rows, int size)
    {
        var batch = new RowBatcher(size, data.FeatureLength);
        foreach (int row in rows)
        {
            if (batch.Add(Row(row), data.Classes[row]) is RowBatch full)
            {
                yield return full;
            }
        }

        if (batch.Rest() is RowBatch rest)
        {
            yield return rest;
        }
    }
}
