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
    public static ValidationScore Of(IHeadScorer scorer, TrainingSet data, IReadOnlyList<int> rows, CancellationToken cancellationToken = default) =>
        Of(scorer, data, rows, null, cancellationToken);

    /// <summary>
    /// Scores <paramref name="rows"/> of <paramref name="data"/> with <paramref name="scorer"/>, in one pass (streamed
    /// when the set is, in chunks of <see cref="ChunkRows"/>), also handing each row to <paramref name="eachRow"/> when given.
    /// </summary>
    public static ValidationScore Of(IHeadScorer scorer, TrainingSet data, IReadOnlyList<int> rows, Action<int, ReadOnlySpan<float>>? eachRow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        var tally = new Tally(scorer);
        int length = data.FeatureLength;
        var chunk = new float[ChunkRows * length];
        var chunkClasses = new int[ChunkRows];
        int held = 0;
        TrainingRowVisitor.Visit(data, TrainingRowVisitor.Flags(data, rows), (row, features) =>
        {
            eachRow?.Invoke(row, features);
            features.CopyTo(chunk.AsSpan(held * length, length));
            chunkClasses[held++] = data.Classes[row];
            if (held == ChunkRows)
            {
                tally.Add(chunk, chunkClasses, held);
                held = 0;
            }
        }, cancellationToken);
        tally.Add(chunk, chunkClasses, held);
        return tally.Score();
    }

    /// <summary>Scores rows held back to back in <paramref name="features"/>, row i of class <paramref name="classes"/>[i].</summary>
    public static ValidationScore Of(IHeadScorer scorer, float[] features, int[] classes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(classes);
        var tally = new Tally(scorer);
        int length = scorer.InputSize;
        for (int start = 0; start < classes.Length; start += ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int held = Math.Min(ChunkRows, classes.Length - start);
            tally.Add(features.AsSpan(start * length, held * length), classes.AsSpan(start, held), held);
        }

        return tally.Score();
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

    /// <summary>Per-class counts of validation rows and of those named correctly, chunk by chunk, with one reused score buffer.</summary>
    private sealed class Tally(IHeadScorer scorer)
    {
        private readonly Dictionary<int, int> support = [];
        private readonly Dictionary<int, int> right = [];
        private readonly List<float> correctScores = [];
        private readonly float[] scores = new float[(long)ChunkRows * scorer.Classes];

        public void Add(ReadOnlySpan<float> features, ReadOnlySpan<int> classes, int count)
        {
            if (count == 0)
            {
                return;
            }

            scorer.Scores(features[..(count * scorer.InputSize)], count, scores);
            for (int i = 0; i < count; i++)
            {
                (int best, float score) = Top(scores.AsSpan(i * scorer.Classes, scorer.Classes));
                int truth = classes[i];
                support[truth] = support.GetValueOrDefault(truth) + 1;
                if (best == truth)
                {
                    right[truth] = right.GetValueOrDefault(truth) + 1;
                    correctScores.Add(score);
                }
            }
        }

        public ValidationScore Score()
        {
            int count = support.Values.Sum();
            return count == 0
                ? new ValidationScore(0, 0, 0, [])
                : new ValidationScore(support.Average(s => (double)right.GetValueOrDefault(s.Key) / s.Value), (double)right.Values.Sum() / count, count, correctScores);
        }
    }
}
