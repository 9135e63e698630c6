namespace FacePipeline.Prediction;

/// <summary>Turns a row of class probabilities into a ranked <see cref="FacePrediction"/>.</summary>
public static class PredictionRanker
{
    /// <summary>
    /// Label given to faces whose top score is below the unknown threshold (<see cref="Dataset.LabelRules"/> reserves
    /// it, so no person carries it).
    /// </summary>
    public const string UnknownLabel = Dataset.LabelRules.Unknown;

    /// <summary>The label column of an image where the face stage found no face.</summary>
    public const string NoFaceLabel = Dataset.LabelRules.NoFace;

    /// <summary>Ranks one image's probabilities.</summary>
    /// <param name="path">Image path.</param>
    /// <param name="probabilities">Probabilities in class-index order.</param>
    /// <param name="labels">Labels in class-index order.</param>
    /// <param name="topK">How many labels to list (capped at the class count).</param>
    /// <param name="unknownThreshold">Top-1 probability below which the label is <see cref="UnknownLabel"/>; null for never.</param>
    public static FacePrediction Rank(string path, ReadOnlySpan<float> probabilities, IReadOnlyList<string> labels, int topK, double? unknownThreshold)
    {
        if (probabilities.Length != labels.Count)
        {
            throw new ArgumentException($"{probabilities.Length} probabilities for {labels.Count} labels", nameof(probabilities));
        }

        int k = Math.Clamp(topK, 1, labels.Count);
        int[] best = TopIndices(probabilities, k);
        var top = new List<(string, double)>(k);
        foreach (int i in best)
        {
            top.Add((labels[i], probabilities[i]));
        }

        double confidence = top[0].Item2;
        string label = unknownThreshold is double threshold && confidence < threshold ? UnknownLabel : top[0].Item1;
        return new FacePrediction(path, label, confidence, top);
    }

    /// <summary>
    /// The <paramref name="k"/> highest entries, best first, ties by class index (stable): one pass keeping a sorted
    /// list of k, so 20 000 classes cost 20 000 comparisons per face instead of a full sort.
    /// </summary>
    private static int[] TopIndices(ReadOnlySpan<float> values, int k)
    {
        var best = new int[k];
        int held = 0;
        for (int c = 0; c < values.Length; c++)
        {
            float v = values[c];
            if (held == k && !(v > values[best[k - 1]]))
            {
                continue;
            }

            int at = Math.Min(held, k - 1);
            while (at > 0 && v > values[best[at - 1]])
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = c;
            held = Math.Min(held + 1, k);
        }

        return best;
    }
}
