using FacePipeline.Dataset;

namespace FacePipeline.Evaluation;

/// <summary>
/// Classification metrics as pure functions over true labels and ranked predictions. Per-class figures follow
/// scikit-learn's <c>precision_recall_fscore_support</c> with <c>zero_division=0</c>.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>Computes accuracy, top-k accuracy, per-class and macro precision/recall/F1 and the confusion matrix.</summary>
    /// <param name="trueLabels">The true label of each sample.</param>
    /// <param name="rankedPredictions">
    /// For each sample, the predicted labels best first; at least one, and fewer than <paramref name="topK"/> is allowed.
    /// </param>
    /// <param name="knownLabels">
    /// The labels the model can predict. True labels outside it are reported in
    /// <see cref="ClassificationReport.UnseenLabels"/>; their samples count as errors, since a prediction is correct only
    /// when it equals the true label and a model cannot predict a label it does not know.
    /// </param>
    /// <param name="topK">The k of top-k accuracy; at least 1.</param>
    /// <returns>The report; its labels are the union of true and top-1 predicted labels in natural order.</returns>
    /// <exception cref="ArgumentException">
    /// The lists differ in length or are empty, <paramref name="topK"/> is below 1, or a sample has no prediction or a null label.
    /// </exception>
    public static ClassificationReport Compute(
        IReadOnlyList<string> trueLabels,
        IReadOnlyList<IReadOnlyList<string>> rankedPredictions,
        IReadOnlyCollection<string> knownLabels,
        int topK)
    {
        string[] top1 = TopOne(trueLabels, rankedPredictions, knownLabels, topK);
        int count = trueLabels.Count;
        string[] labels = [.. trueLabels.Concat(top1).Distinct(StringComparer.Ordinal).Order(NaturalStringComparer.Instance)];
        ConfusionMatrix confusion = Confusion(trueLabels, top1, labels);
        int correct = Enumerable.Range(0, count).Count(i => top1[i] == trueLabels[i]);
        int correctInTopK = Enumerable.Range(0, count).Count(i => rankedPredictions[i].Take(topK).Contains(trueLabels[i], StringComparer.Ordinal));
        ClassMetrics[] perClass = PerClass(labels, confusion);
        var known = new HashSet<string>(knownLabels, StringComparer.Ordinal);
        string[] unseen = [.. perClass.Where(c => c.Support > 0 && !known.Contains(c.Label)).Select(c => c.Label)];

        return new ClassificationReport(
            count,
            Accuracy: (double)correct / count,
            TopK: topK,
            TopKAccuracy: (double)correctInTopK / count,
            MacroPrecision: perClass.Average(c => c.Precision),
            MacroRecall: perClass.Average(c => c.Recall),
            MacroF1: perClass.Average(c => c.F1),
            PerClass: perClass,
            Labels: labels,
            Confusion: confusion,
            UnseenLabels: unseen);
    }

    /// <summary>Checks the arguments and returns each sample's top-1 label.</summary>
    private static string[] TopOne(
        IReadOnlyList<string> trueLabels, IReadOnlyList<IReadOnlyList<string>> rankedPredictions, IReadOnlyCollection<string> knownLabels, int topK)
    {
        ArgumentNullException.ThrowIfNull(trueLabels);
        ArgumentNullException.ThrowIfNull(rankedPredictions);
        ArgumentNullException.ThrowIfNull(knownLabels);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        if (trueLabels.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed to compute metrics.", nameof(trueLabels));
        }

        if (rankedPredictions.Count != trueLabels.Count)
        {
            throw new ArgumentException(
                $"{rankedPredictions.Count} prediction lists for {trueLabels.Count} true labels; there must be one per sample.",
                nameof(rankedPredictions));
        }

        var top1 = new string[trueLabels.Count];
        for (int i = 0; i < top1.Length; i++)
        {
            if (trueLabels[i] is null)
            {
                throw new ArgumentException($"Sample {i} has a null true label.", nameof(trueLabels));
            }

            IReadOnlyList<string>? ranked = rankedPredictions[i];
            if (ranked is null || ranked.Count == 0)
            {
                throw new ArgumentException($"Sample {i} has no predicted label; each sample needs at least one.", nameof(rankedPredictions));
            }

            top1[i] = ranked[0] ?? throw new ArgumentException($"Sample {i} has a null predicted label.", nameof(rankedPredictions));
        }

        return top1;
    }

    /// <summary>Counts [true, predicted] over <paramref name="labels"/>.</summary>
    private static ConfusionMatrix Confusion(IReadOnlyList<string> trueLabels, string[] top1, string[] labels)
    {
        var indexOf = new Dictionary<string, int>(labels.Length, StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i++)
        {
            indexOf[labels[i]] = i;
        }

        return new ConfusionMatrix(labels.Length, Enumerable.Range(0, top1.Length).Select(i => (indexOf[trueLabels[i]], indexOf[top1[i]])));
    }

    private static ClassMetrics[] PerClass(string[] labels, ConfusionMatrix confusion)
    {
        var support = new int[labels.Length];
        var predicted = new int[labels.Length];
        var truePositives = new int[labels.Length];
        foreach ((int t, int p, int n) in confusion.Cells)
        {
            support[t] += n;
            predicted[p] += n;
            truePositives[t] += t == p ? n : 0;
        }

        var perClass = new ClassMetrics[labels.Length];
        for (int c = 0; c < labels.Length; c++)
        {
            perClass[c] = new ClassMetrics(
                labels[c],
                support[c],
                predicted[c],
                Precision: Ratio(truePositives[c], predicted[c]),
                Recall: Ratio(truePositives[c], support[c]),
                // 2·TP / (2·TP + FP + FN), the form scikit-learn uses; equals the harmonic mean whenever that is defined.
                F1: Ratio(2 * truePositives[c], support[c] + predicted[c]));
        }

        return perClass;
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0.0 : (double)numerator / denominator;
}
