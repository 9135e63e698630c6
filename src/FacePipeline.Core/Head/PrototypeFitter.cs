namespace FacePipeline.Head;

/// <summary>
/// Fits the prototype head: for each person, the mean of their L2-normalised embeddings, normalised again. No
/// epochs, no TorchSharp: one pass over the rows (streamed row group by row group when the set is), adding each
/// normalised training row into its person's float64 sum and holding back only the validation rows (a second pass
/// reads them again when the budget cannot hold them). Memory: the sums (classes × features × 8 bytes), the
/// prototypes (× 4) and the validation rows or one validation chunk, never all the rows.
/// A person with one photo is enrolled like any other; a person without rows gets a zero prototype (cosine 0).
/// </summary>
public static class PrototypeFitter
{
    /// <summary>
    /// Whether <paramref name="validationRows"/> rows are held for scoring after the one pass: always in memory; streamed,
    /// when they fit in what the budget leaves for the rows beside one read and two validation chunks (the scorer's
    /// normalised copy and its scores' rows). Otherwise the
    /// validation rows are read again in a second pass, chunk by chunk (a 4 GB cache's 15 % is 600 MB).
    /// </summary>
    public static bool HoldsValidation(TrainingSet data, long validationRows)
    {
        ArgumentNullException.ThrowIfNull(data);
        return !data.IsStreamed
            || TrainingSet.MatrixBytes(validationRows + (2L * TrainingMemory.ValidationChunkRows), data.FeatureLength) + data.ReadBytes <= data.StreamingBudgetBytes;
    }

    /// <summary>
    /// The prototypes (classes × features, row-major) of the rows outside <paramref name="validation"/>, scored on the
    /// <paramref name="validation"/> rows (null without any), then the final prototypes of every row, training and
    /// validation: in one pass over every row of <paramref name="data"/> when the validation rows can be held
    /// (<see cref="HoldsValidation"/>), else in two (training rows, then validation rows scored and added).
    /// </summary>
    public static (float[] Prototypes, ValidationScore? Score) Fit(TrainingSet data, int[] validation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(validation);
        int length = data.FeatureLength;
        bool[] isValidation = TrainingRowVisitor.Flags(data, validation);
        bool hold = HoldsValidation(data, validation.Length);
        // float64 sums: a person with thousands of photos is still averaged exactly to float32.
        var sums = new double[(long)data.Labels.Count * length];
        var normalised = new float[length];
        var held = new float[hold ? (long)validation.Length * length : 0];
        var heldClasses = new int[hold ? validation.Length : 0];
        int k = 0;
        bool[] firstPass = hold ? TrainingRowVisitor.Flags(data, Enumerable.Range(0, data.Count)) : isValidation.Select(v => !v).ToArray();
        TrainingRowVisitor.Visit(data, firstPass, (row, features) =>
        {
            if (!isValidation[row])
            {
                Add(sums, data.Classes[row], features, normalised);
                return;
            }

            features.CopyTo(held.AsSpan(k * length, length));
            heldClasses[k++] = data.Classes[row];
        }, cancellationToken);

        var prototypes = new float[sums.Length];
        ValidationScore? score = null;
        if (validation.Length > 0)
        {
            Finish(sums, prototypes, length);
            using (var scorer = new PrototypeScorer(prototypes, length))
            {
                score = hold
                    ? ValidationScore.Of(scorer, held, heldClasses, cancellationToken)
                    : ValidationScore.Of(scorer, data, validation, (row, features) => Add(sums, data.Classes[row], features, normalised), cancellationToken);
            }

            for (int i = 0; i < heldClasses.Length; i++)
            {
                Add(sums, heldClasses[i], held.AsSpan(i * length, length), normalised);
            }
        }

        Finish(sums, prototypes, length);
        return (prototypes, score);
    }

    /// <summary>Adds <paramref name="features"/>, normalised (in <paramref name="scratch"/>), to the sum of <paramref name="cls"/>.</summary>
    private static void Add(double[] sums, int cls, ReadOnlySpan<float> features, float[] scratch)
    {
        features.CopyTo(scratch);
        PrototypeScorer.Normalise(scratch);
        Span<double> sum = sums.AsSpan(cls * scratch.Length, scratch.Length);
        for (int j = 0; j < scratch.Length; j++)
        {
            sum[j] += scratch[j];
        }
    }

    /// <summary>Each class's sum, normalised, into <paramref name="prototypes"/>.</summary>
    private static void Finish(double[] sums, float[] prototypes, int length)
    {
        for (int c = 0; c < sums.Length / length; c++)
        {
            Span<float> prototype = prototypes.AsSpan(c * length, length);
            for (int j = 0; j < length; j++)
            {
                prototype[j] = (float)sums[(c * length) + j];
            }

            // The mean's direction is the sum's: normalising the sum is normalising the mean.
            PrototypeScorer.Normalise(prototype);
        }
    }
}
