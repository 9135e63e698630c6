namespace FacePipeline.Dataset;

/// <summary>
/// The one reading of a <c>split</c> value: trimmed and case-folded here only, so <c> Test</c>, <c>test</c> and
/// <c>TEST</c> are the same split for the trainer, for Predict evaluate and for cache filters.
/// </summary>
public static class DatasetSplit
{
    /// <summary>The canonical spelling: trimmed, lower case, empty for none.</summary>
    public static string Normalise(string? split) => split?.Trim().ToLowerInvariant() ?? string.Empty;

    /// <summary>Reads <paramref name="split"/> as one of the known splits; false for any other word.</summary>
    public static bool TryParse(string? split, out SplitKind kind)
    {
        (bool known, kind) = Normalise(split) switch
        {
            "" => (true, SplitKind.Unassigned),
            "train" => (true, SplitKind.Train),
            "val" => (true, SplitKind.Val),
            "test" => (true, SplitKind.Test),
            _ => (false, SplitKind.Unassigned),
        };
        return known;
    }

    /// <summary>Whether a row of split <paramref name="rowSplit"/> is selected by <paramref name="wanted"/> (null selects every row).</summary>
    public static bool Matches(string? rowSplit, string? wanted) => wanted is null || Normalise(rowSplit) == Normalise(wanted);
}
