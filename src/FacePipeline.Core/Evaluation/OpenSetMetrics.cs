namespace FacePipeline.Evaluation;

/// <summary>
/// Open-set identification as a pure function: a known face counts for DIR when it is named correctly at or above
/// the threshold; a stranger counts against FAR when it gets any name (scores at or above the threshold). Sorting the
/// scores once makes every point of the curve a binary search: O(n log n) whatever the number of labels.
/// </summary>
public static class OpenSetMetrics
{
    /// <summary>Most points of the DIR/FAR curve (thresholds at evenly spaced ranks of the scores).</summary>
    public const int MaxCurvePoints = 512;

    /// <summary>Computes the figures at <paramref name="threshold"/> (null: every face is named) and the curve.</summary>
    public static OpenSetReport Compute(IReadOnlyList<OpenSetSample> samples, double? threshold)
    {
        ArgumentNullException.ThrowIfNull(samples);
        int known = samples.Count(s => s.Known);
        int unknown = samples.Count - known;
        double[] rightScores = [.. samples.Where(s => s.Known && s.Correct && !s.NoFace).Select(s => s.Score).Order()];
        double[] strangerScores = [.. samples.Where(s => !s.Known && !s.NoFace).Select(s => s.Score).Order()];
        double floor = threshold ?? double.NegativeInfinity;
        int falseAccepts = AtOrAbove(strangerScores, floor);
        OpenSetPoint at = Point(floor, rightScores, strangerScores, known, unknown);
        return new OpenSetReport(known, unknown, threshold, at.Dir, at.Far, falseAccepts, Curve(samples, rightScores, strangerScores, known, unknown));
    }

    private static List<OpenSetPoint> Curve(IReadOnlyList<OpenSetSample> samples, double[] rightScores, double[] strangerScores, int known, int unknown)
    {
        double[] all = [.. samples.Where(s => !s.NoFace).Select(s => s.Score).Distinct().Order()];
        if (all.Length == 0)
        {
            return [];
        }

        IEnumerable<double> thresholds = all.Length <= MaxCurvePoints
            ? all
            : Enumerable.Range(0, MaxCurvePoints).Select(i => all[(int)((long)i * (all.Length - 1) / (MaxCurvePoints - 1))]).Distinct();
        return [.. thresholds.Select(t => Point(t, rightScores, strangerScores, known, unknown))];
    }

    private static OpenSetPoint Point(double threshold, double[] rightScores, double[] strangerScores, int known, int unknown) => new(
        threshold,
        known > 0 ? (double)AtOrAbove(rightScores, threshold) / known : null,
        unknown > 0 ? (double)AtOrAbove(strangerScores, threshold) / unknown : null);

    /// <summary>How many of the ascending <paramref name="sorted"/> are at or above <paramref name="threshold"/>.</summary>
    private static int AtOrAbove(double[] sorted, double threshold)
    {
        int low = 0;
        int high = sorted.Length;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (sorted[middle] < threshold)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return sorted.Length - low;
    }
}
