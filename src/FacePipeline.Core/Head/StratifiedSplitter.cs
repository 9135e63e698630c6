namespace FacePipeline.Head;

/// <summary>
/// Deterministic stratified train/validation split: each class gives round(fraction × count) rows to validation, but
/// every class keeps at least one training row, and a class with a single row stays in training (and is counted).
/// </summary>
public static class StratifiedSplitter
{
    /// <summary>Splits row indices by class.</summary>
    /// <param name="classOfRow">Class index of every row.</param>
    /// <param name="validationFraction">Fraction of each class for validation, 0 ≤ f &lt; 1.</param>
    /// <param name="seed">Seed of the shuffle inside each class.</param>
    /// <returns>Training rows, validation rows (both sorted) and the number of classes too small to give a validation row.</returns>
    public static (int[] Train, int[] Validation, int ClassesWithoutValidation) Split(IReadOnlyList<int> classOfRow, double validationFraction, int seed)
    {
        if (validationFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be at least 0 and below 1");
        }

        var train = new List<int>();
        var validation = new List<int>();
        int withoutValidation = 0;
        var random = new Random(seed);
        foreach (IGrouping<int, int> group in Enumerable.Range(0, classOfRow.Count).GroupBy(i => classOfRow[i]).OrderBy(g => g.Key))
        {
            int[] rows = group.ToArray();
            random.Shuffle(rows);
            int take = validationFraction == 0 ? 0 : Math.Min((int)Math.Round(validationFraction * rows.Length, MidpointRounding.AwayFromZero), rows.Length - 1);
            if (validationFraction > 0 && take == 0 && rows.Length >= 2)
            {
                take = 1;
            }

            if (validationFraction > 0 && take == 0)
            {
                withoutValidation++;
            }

            validation.AddRange(rows.Take(take));
            train.AddRange(rows.Skip(take));
        }

        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray(), withoutValidation);
    }
}
