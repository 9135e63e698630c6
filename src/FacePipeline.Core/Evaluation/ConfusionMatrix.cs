namespace FacePipeline.Evaluation;

/// <summary>
/// Counts indexed [true label][top-1 predicted label], kept sparse: memory grows with the distinct (true, predicted)
/// pairs seen, at most the number of samples, never with labels² (20 000 labels would need 1.6 GB dense).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly Dictionary<(int True, int Predicted), int> counts;

    /// <summary>Counts the (true, predicted) index pairs over <paramref name="size"/> labels.</summary>
    public ConfusionMatrix(int size, IEnumerable<(int True, int Predicted)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        Size = size;
        counts = [];
        foreach ((int t, int p) in pairs)
        {
            counts[(t, p)] = counts.GetValueOrDefault((t, p)) + 1;
        }

        Cells = [.. counts.Select(c => (c.Key.True, c.Key.Predicted, c.Value)).OrderBy(c => c.True).ThenBy(c => c.Predicted)];
    }

    /// <summary>Labels on each axis.</summary>
    public int Size { get; }

    /// <summary>The non-zero cells, by true label then predicted label.</summary>
    public IReadOnlyList<(int True, int Predicted, int Count)> Cells { get; }

    /// <summary>The count of one cell.</summary>
    public int this[int trueIndex, int predictedIndex] => counts.GetValueOrDefault((trueIndex, predictedIndex));

    /// <summary>The dense Size × Size matrix (for small label sets: it takes Size² ints).</summary>
    public int[][] ToDense()
    {
        int[][] dense = [.. Enumerable.Range(0, Size).Select(_ => new int[Size])];
        foreach ((int t, int p, int n) in Cells)
        {
            dense[t][p] = n;
        }

        return dense;
    }
}
