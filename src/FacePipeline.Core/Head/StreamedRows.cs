using FacePipeline.FeatureCache;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>
/// Rows of a streamed <see cref="TrainingSet"/>, read from the cache one row group at a time. An epoch visits the
/// groups that hold training rows in a seeded random order and passes their rows through a bounded shuffle buffer
/// (a full buffer emits a random slot and takes the new row there; at the end it drains in random order) into
/// batches. Memory: the buffer, one batch, one validation chunk and one read (a whole row group, or a slice of one read
/// page by page), whatever the cache size.
/// </summary>
internal sealed class StreamedRows : ITrainingRows
{
    private readonly TrainingSet data;
    private readonly bool[] isTrain;
    private readonly bool[] isValidation;
    private readonly TrainingRowGroup[] trainGroups;
    private readonly TrainingRowGroup[] validationGroups;
    private readonly Device device;
    private readonly int featureLength;
    private readonly int capacity;
    private readonly float[] buffer;
    private readonly long[] bufferClasses;

    public StreamedRows(TrainingSet data, int[] trainRows, int[] validationRows, int shuffleBufferRows, Device device)
    {
        this.data = data;
        this.device = device;
        featureLength = data.FeatureLength;
        isTrain = new bool[data.Count];
        isValidation = new bool[data.Count];
        foreach (int row in trainRows)
        {
            isTrain[row] = true;
        }

        foreach (int row in validationRows)
        {
            isValidation[row] = true;
        }

        TrainCount = trainRows.Length;
        ValidationCount = validationRows.Length;
        trainGroups = data.RowGroups.Where(g => g.RowOfGroupRow.Any(r => r >= 0 && isTrain[r])).ToArray();
        validationGroups = data.RowGroups.Where(g => g.RowOfGroupRow.Any(r => r >= 0 && isValidation[r])).ToArray();
        capacity = Math.Max(1, Math.Min(shuffleBufferRows, trainRows.Length));
        buffer = new float[(long)capacity * featureLength];
        bufferClasses = new long[capacity];
    }

    public int TrainCount { get; }

    public int ValidationCount { get; }

    public IEnumerable<RowBatch> TrainBatches(Random shuffle, int batchSize, CancellationToken cancellationToken)
    {
        TrainingRowGroup[] order = trainGroups.ToArray();
        shuffle.Shuffle(order);
        var batch = new RowBatcher(batchSize, featureLength);
        int held = 0;
        foreach (TrainingRowGroup unit in order)
        {
            foreach (FeatureSlice slice in unit.ReadSlices(data.RowsPerRead, cancellationToken))
            {
                for (int i = 0; i < slice.RowCount; i++)
                {
                    int row = unit.RowOfGroupRow[slice.FirstRow + i];
                    if (row < 0 || !isTrain[row])
                    {
                        continue;
                    }

                    if (held < capacity)
                    {
                        slice.Row(i, featureLength).CopyTo(Slot(held));
                        bufferClasses[held++] = data.Classes[row];
                        continue;
                    }

                    int j = shuffle.Next(capacity);
                    if (batch.Add(Slot(j), bufferClasses[j]) is RowBatch full)
                    {
                        yield return full;
                    }

                    slice.Row(i, featureLength).CopyTo(Slot(j));
                    bufferClasses[j] = data.Classes[row];
                }
            }
        }

        while (held > 0)
        {
            int j = shuffle.Next(held);
            if (batch.Add(Slot(j), bufferClasses[j]) is RowBatch full)
            {
                yield return full;
            }

            held--;
            Slot(held).CopyTo(Slot(j));
            bufferClasses[j] = bufferClasses[held];
        }

        if (batch.Rest() is RowBatch rest)
        {
            yield return rest;
        }
    }

    public IEnumerable<RowBatch> ValidationBatches(CancellationToken cancellationToken)
    {
        var chunk = new RowBatcher(TrainingMemory.ValidationChunkRows, featureLength);
        foreach (TrainingRowGroup unit in validationGroups)
        {
            foreach (FeatureSlice slice in unit.ReadSlices(data.RowsPerRead, cancellationToken))
            {
                for (int i = 0; i < slice.RowCount; i++)
                {
                    int row = unit.RowOfGroupRow[slice.FirstRow + i];
                    if (row >= 0 && isValidation[row] && chunk.Add(slice.Row(i, featureLength), data.Classes[row]) is RowBatch full)
                    {
                        yield return full;
                    }
                }
            }
        }

        if (chunk.Rest() is RowBatch rest)
        {
            yield return rest;
        }
    }

    public (Tensor X, Tensor Y) ToTensors(RowBatch batch) =>
        (torch.tensor(batch.Features!, [batch.Count, featureLength]).to(device), torch.tensor(batch.Classes!).to(device));

    public FeatureMoments TrainMoments(CancellationToken cancellationToken)
    {
        var moments = new FeatureMoments(featureLength);
        foreach (TrainingRowGroup unit in trainGroups)
        {
            foreach (FeatureSlice slice in unit.ReadSlices(data.RowsPerRead, cancellationToken))
            {
                for (int i = 0; i < slice.RowCount; i++)
                {
                    int row = unit.RowOfGroupRow[slice.FirstRow + i];
                    if (row >= 0 && isTrain[row])
                    {
                        moments.Add(slice.Row(i, featureLength));
                    }
                }
            }
        }

        return moments;
    }

    public void Dispose()
    {
    }

    private Span<float> Slot(int slot) => buffer.AsSpan(slot * featureLength, featureLength);
}
