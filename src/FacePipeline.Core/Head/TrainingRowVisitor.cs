using FacePipeline.FeatureCache;

namespace FacePipeline.Head;

/// <summary>
/// One pass over chosen rows of a <see cref="TrainingSet"/>, in memory or streamed (then one read at a
/// time, so memory stays that of one read). For passes that need no order and no TorchSharp: prototypes and
/// validation scoring.
/// </summary>
internal static class TrainingRowVisitor
{
    /// <summary>Calls <paramref name="visit"/> with (row, features) for every row whose <paramref name="wanted"/> flag is set, in cache order.</summary>
    public static void Visit(TrainingSet data, bool[] wanted, Action<int, ReadOnlySpan<float>> visit, CancellationToken cancellationToken)
    {
        int length = data.FeatureLength;
        if (!data.IsStreamed)
        {
            for (int row = 0; row < data.Count; row++)
            {
                if (wanted[row])
                {
                    visit(row, data.Features.AsSpan(row * length, length));
                }
            }

            return;
        }

        foreach (TrainingRowGroup unit in data.RowGroups.Where(g => g.RowOfGroupRow.Any(r => r >= 0 && wanted[r])))
        {
            foreach (FeatureSlice slice in unit.ReadSlices(data.RowsPerRead, cancellationToken))
            {
                for (int i = 0; i < slice.RowCount; i++)
                {
                    int row = unit.RowOfGroupRow[slice.FirstRow + i];
                    if (row >= 0 && wanted[row])
                    {
                        visit(row, slice.Row(i, length));
                    }
                }
            }
        }
    }

    /// <summary>A flag per row of <paramref name="data"/>, set for <paramref name="rows"/>.</summary>
    public static bool[] Flags(TrainingSet data, IEnumerable<int> rows)
    {
        var flags = new bool[data.Count];
        foreach (int row in rows)
        {
            flags[row] = true;
        }

        return flags;
    }
}
