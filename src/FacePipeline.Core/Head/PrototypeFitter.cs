namespace FacePipeline.Head;

/// <summary>
/// Fits the prototype head: for each person, the mean of their L2-normalised embeddings, normalised again. No
/// epochs, no TorchSharp: one pass over the rows, memory of one float64 sum per class and feature beside the rows.
/// A person with one photo is enrolled like any other; a person without rows gets a zero prototype (cosine 0).
/// </summary>
public static class PrototypeFitter
{
    /// <summary>Prototypes (classes × features, row-major) from <paramref name="rows"/> of <paramref name="data"/>.</summary>
    public static float[] Fit(TrainingSet data, IEnumerable<int> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        int length = data.FeatureLength;
        int classes = data.Labels.Count;
        // float64 sums: a person with thousands of photos is still averaged exactly to float32.
        var sums = new double[(long)classes * length];
        var normalised = new float[length];
        TrainingRowVisitor.Visit(data, TrainingRowVisitor.Flags(data, rows), (row, features) =>
        {
            features.CopyTo(normalised);
            PrototypeScorer.Normalise(normalised);
            Span<double> sum = sums.AsSpan(data.Classes[row] * length, length);
            for (int j = 0; j < length; j++)
            {
                sum[j] += normalised[j];
            }
        }, cancellationToken);

        var prototypes = new float[sums.Length];
        for (int c = 0; c < classes; c++)
        {
            Span<float> prototype = prototypes.AsSpan(c * length, length);
            for (int j = 0; j < length; j++)
            {
                prototype[j] = (float)sums[(c * length) + j];
            }

            // The mean's direction is the sum's: normalising the sum is normalising the mean.
            PrototypeScorer.Normalise(prototype);
        }

        return prototypes;
    }
}
