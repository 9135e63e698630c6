namespace FacePipeline.Head;

/// <summary>
/// The two ways a head's unknown threshold is set. A face is named when its score is at or above the threshold, and
/// is <c>unknown</c> below it.
/// </summary>
public static class UnknownThreshold
{
    /// <summary>Faces per unit of target rate below which a calibration is flagged as too few (10 / F: 1 000 at 1 %).</summary>
    public const double FacesPerTargetRate = 10;

    /// <summary>How the known-only threshold is chosen (no strangers given).</summary>
    public const string KnownOnlyMethod =
        "5th percentile of the top-1 score over correctly recognised validation images (about 95 % of them are kept); NOT calibrated against strangers: the share of unknown faces it lets through is not known (calibrate with TrainHead --unknowns CACHE_DIR)";

    /// <summary>The known-only rule: the 5th percentile of <paramref name="correctScores"/>; null when there are none.</summary>
    public static double? KnownOnly(IReadOnlyList<float> correctScores)
    {
        ArgumentNullException.ThrowIfNull(correctScores);
        if (correctScores.Count == 0)
        {
            return null;
        }

        float[] sorted = correctScores.Order().ToArray();
        return sorted[(int)Math.Floor(0.05 * (sorted.Length - 1))];
    }

    /// <summary>
    /// The lowest threshold at which at most <paramref name="targetFar"/> of the stranger faces would get a name: with
    /// the scores in descending order s₀ ≥ s₁ ≥ …, k = ⌊F·n⌋ faces may pass, so the threshold is the smallest double
    /// above s_k (ties with s_k are refused with it, so fewer than k may pass). No interpolation: the rate reached on
    /// these faces is exact.
    /// </summary>
    /// <param name="strangerScores">Each stranger face's top-1 score.</param>
    /// <param name="targetFar">Largest share that may get a name, 0 &lt; F &lt; 1.</param>
    /// <param name="cache">The strangers' cache, recorded.</param>
    public static StrangerCalibration Calibrate(IReadOnlyList<float> strangerScores, double targetFar, string cache)
    {
        ArgumentNullException.ThrowIfNull(strangerScores);
        if (strangerScores.Count == 0)
        {
            throw new ArgumentException("no stranger scores to calibrate on", nameof(strangerScores));
        }

        if (targetFar is <= 0 or >= 1 || double.IsNaN(targetFar))
        {
            throw new ArgumentOutOfRangeException(nameof(targetFar), targetFar, "must be above 0 and below 1");
        }

        int n = strangerScores.Count;
        double[] descending = strangerScores.Select(s => (double)s).OrderDescending().ToArray();
        int allowed = (int)Math.Floor(targetFar * n);
        double threshold = Math.BitIncrement(descending[Math.Min(allowed, n - 1)]);
        int accepted = descending.Count(s => s >= threshold);
        return new StrangerCalibration(cache, targetFar, (double)accepted / n, n, accepted, threshold, n < FacesPerTargetRate / targetFar);
    }
}
