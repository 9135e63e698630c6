using FacePipeline.Dataset;

namespace FacePipeline.Evaluation;

/// <summary>The result of <see cref="ClassificationMetrics.Compute"/>: overall, top-k and per-class metrics plus the confusion matrix.</summary>
/// <param name="Count">Number of evaluated samples.</param>
/// <param name="Accuracy">Fraction (0–1) of samples whose top-1 prediction is their true label.</param>
/// <param name="TopK">The k of <paramref name="TopKAccuracy"/>.</param>
/// <param name="TopKAccuracy">Fraction (0–1) of samples whose true label is among their first <paramref name="TopK"/> predictions.</param>
/// <param name="MacroPrecision">Unweighted mean of the per-class precisions over <paramref name="Labels"/>.</param>
/// <param name="MacroRecall">Unweighted mean of the per-class recalls over <paramref name="Labels"/>.</param>
/// <param name="MacroF1">Unweighted mean of the per-class F1 scores over <paramref name="Labels"/>.</param>
/// <param name="PerClass">One entry per label of <paramref name="Labels"/>, in the same order.</param>
/// <param name="Labels">
/// The union of true labels and top-1 predicted labels, in natural order ("s2" before "s10"); the row and column order of
/// <paramref name="Confusion"/>.
/// </param>
/// <param name="Confusion">Counts indexed [true label, top-1 predicted label], both in the order of <paramref name="Labels"/>, sparse.</param>
/// <param name="UnseenLabels">True labels the model does not know, in natural order; their samples count as errors.</param>
public sealed record ClassificationReport(
    int Count,
    double Accuracy,
    int TopK,
    double TopKAccuracy,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1,
    IReadOnlyList<ClassMetrics> PerClass,
    IReadOnlyList<string> Labels,
    ConfusionMatrix Confusion,
    IReadOnlyList<string> UnseenLabels)
{
    /// <summary>The <paramref name="n"/> classes with the lowest F1 among those with support, ties broken by label.</summary>
    /// <param name="n">How many classes to return at most; 0 gives an empty list.</param>
    /// <returns>Up to <paramref name="n"/> classes, worst first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public IReadOnlyList<ClassMetrics> Worst(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return
        [
            .. PerClass
                .Where(c => c.Support > 0)
                .OrderBy(c => c.F1)
                .ThenBy(c => c.Label, NaturalStringComparer.Instance)
                .Take(n),
        ];
    }
}
