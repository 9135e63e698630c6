namespace FacePipeline.Head;

/// <summary>Fills one reused batch; a full one is handed out and must be consumed before the next row is added.</summary>
internal sealed class RowBatcher(int size, int featureLength)
{
    private readonly float[] features = new float[(long)size * featureLength];
    private readonly long[] classes = new long[size];
    private int count;

    /// <summary>Adds a row; returns the batch when it is full.</summary>
    public RowBatch? Add(ReadOnlySpan<float> row, long rowClass)
    {
        row.CopyTo(features.AsSpan(count * featureLength, featureLength));
        classes[count++] = rowClass;
        if (count < size)
        {
            return null;
        }

        count = 0;
        return new RowBatch(size, features, classes);
    }

    /// <summary>The last, partial batch (its own arrays), or null.</summary>
    public RowBatch? Rest() => count == 0
        ? null
        : new RowBatch(count, features.AsSpan(0, count * featureLength).ToArray(), classes.AsSpan(0, count).ToArray());
}
