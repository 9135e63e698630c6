using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>
/// Rows of a <see cref="TrainingSet"/> held in memory: one tensor of all rows on the device, batches gathered from it
/// by index. No train or validation copy of the matrix is made (validation is gathered a chunk at a time).
/// </summary>
internal sealed class InMemoryRows : ITrainingRows
{
    private readonly TrainingSet data;
    private readonly int[] trainRows;
    private readonly long[] validationRows;
    private readonly int[] order;
    private readonly Device device;
    private readonly Tensor features;
    private readonly Tensor classes;

    public InMemoryRows(TrainingSet data, int[] trainRows, int[] validationRows, Device device)
    {
        this.data = data;
        this.trainRows = trainRows;
        this.validationRows = validationRows.Select(r => (long)r).ToArray();
        this.device = device;
        order = Enumerable.Range(0, trainRows.Length).ToArray();
        Tensor host = torch.tensor(data.Features, [data.Count, data.FeatureLength]);
        if (device.type == DeviceType.CPU)
        {
            features = host;
        }
        else
        {
            features = host.to(device);
            host.Dispose();
        }

        classes = torch.tensor(data.Classes.Select(c => (long)c).ToArray()).to(device);
    }

    public int TrainCount => trainRows.Length;

    public int ValidationCount => validationRows.Length;

    public IEnumerable<RowBatch> TrainBatches(Random shuffle, int batchSize, CancellationToken cancellationToken)
    {
        // The order persists between epochs and is reshuffled in place, as it always was: same seed, same batches.
        shuffle.Shuffle(order);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, order.Length - start);
            var indices = new long[count];
            for (int k = 0; k < count; k++)
            {
                indices[k] = trainRows[order[start + k]];
            }

            yield return new RowBatch(count, indices, null, null);
        }
    }

    public IEnumerable<RowBatch> ValidationBatches(CancellationToken cancellationToken)
    {
        for (int start = 0; start < validationRows.Length; start += TrainingMemory.ValidationChunkRows)
        {
            int count = Math.Min(TrainingMemory.ValidationChunkRows, validationRows.Length - start);
            yield return new RowBatch(count, validationRows.AsSpan(start, count).ToArray(), null, null);
        }
    }

    public (Tensor X, Tensor Y) ToTensors(RowBatch batch)
    {
        Tensor index = torch.tensor(batch.Indices!).to(device);
        return (features.index_select(0, index), classes.index_select(0, index));
    }

    public FeatureMoments TrainMoments(CancellationToken cancellationToken)
    {
        var moments = new FeatureMoments(data.FeatureLength);
        foreach (int row in trainRows)
        {
            moments.Add(data.Features.AsSpan(row * data.FeatureLength, data.FeatureLength));
        }

        return moments;
    }

    public void Dispose()
    {
        features.Dispose();
        classes.Dispose();
    }
}
