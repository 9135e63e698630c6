namespace FacePipeline.Prediction;

/// <summary>Turns a row of class probabilities into a ranked <see cref="FacePrediction"/>.</summary>
public static class PredictionRanker
{
    /// <summary>Label given to faces whose top probability is below the unknown threshold.</summary>
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
        int[] order = Enumerable.Range(0, labels.Count).ToArray();
        float[] values = probabilities.ToArray();
        // Highest probability first; ties by class index, so the order is stable.
        Array.Sort(order, (a, b) => values[b] != values[a] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        var top = order.Take(k).Select(i => (labels[i], (double)values[i])).ToList();
        double confidence = top[0].Item2;
        string label = unknownThreshold is double threshold && confidence < threshold ? UnknownLabel : top[0].Item1;
        return new FacePrediction(path, label, confidence, top);
    }
}
