namespace FacePipeline.Head;

/// <summary>How a fitted head does on the validation rows.</summary>
/// <param name="MacroRecall">Mean over the people with validation rows of the share of their rows named correctly (top-1, no threshold).</param>
/// <param name="Accuracy">Share of validation rows named correctly (top-1, no threshold).</param>
/// <param name="Count">Validation rows.</param>
/// <param name="CorrectScores">The top-1 score of every correctly named row (for the known-only threshold).</param>
public sealed record ValidationScore(double MacroRecall, double Accuracy, int Count, IReadOnlyList<float> CorrectScores)
{
    /// <summary>Rows scored per call of the scorer (256 rows × 20 000 classes are 20 MB of scores).</summary>
    private const int ChunkRows = 256;

    /// <summary>Scores <paramref name="rows"/> of <paramref name="data"/> with <paramref name="scorer"/>.</summary>
    public static ValidationScore Of(IHeadScorer scorer, TrainingSet data, IReadOnlyList<int> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        var support = new Dictionary<int, int>();
        var right = new Dictionary<int, int>();
        var correctScores = new List<float>();
        int length = data.FeatureLength;
        var chunk = new float[ChunkRows * length];
        var chunkClasses = new int[ChunkRows];
        int held = 0;
        void Flush()
        {
            float[] scores = scorer.Scores(chunk.AsSpan(0, held * length), held);
            for (int i = 0; i < held; i++)
            {
                (int best, float score) = Top(scores.AsSpan(i * scorer.Classes, scorer.Classes));
                int truth = chunkClasses[i];
                support[truth] = support.GetValueOrDefault(truth) + 1;
                if (best == truth)
                {
                    right[truth] = right.GetValueOrDefault(truth) + 1;
                    correctScores.Add(score);
                }
            }

            held = 0;
        }

        TrainingRowVisitor.Visit(data, TrainingRowVisitor.Flags(data, rows), (row, features) =>
        {
            features.CopyTo(chunk.AsSpan(held * length, length));
            chunkClasses[held++] = data.Classes[row];
            if (held == ChunkRows)
            {
                Flush();
            }
        }, cancellationToken);
        if (held > 0)
        {
            Flush();
        }

        int count = support.Values.Sum();
        return count == 0
            ? new ValidationScore(0, 0, 0, [])
            : new ValidationScore(support.Average(s => (double)right.GetValueOrDefault(s.Key) / s.Value), (double)right.Values.Sum() / count, count, correctScores);
    }

    /// <summary>The best class and its score (the first on ties, as the ranking does).</summary>
    public static (int Class, float Score) Top(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int c = 1; c < scores.Length; c++)
        {
            if (scores[c] > scores[best])
            {
                best = c;
            }
        }

        return (best, scores[best]);
    }

    /// <summary>Whether this beats <paramref name="other"/>: higher macro recall, then higher accuracy.</summary>
    public bool Beats(ValidationScore other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return MacroRecall > other.MacroRecall || (MacroRecall == other.MacroRecall && Accuracy > other.Accuracy);
    }
}
