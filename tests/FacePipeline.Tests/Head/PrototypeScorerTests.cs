using FacePipeline.Head;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>The prototype scorer's tiled dot products against cosines computed in float64.</summary>
public sealed class PrototypeScorerTests
{
    [Fact]
    public void Scores_are_the_cosines_and_do_not_depend_on_the_rows_batched_with_them()
    {
        // 13 features (a whole vector of 8 plus a tail of 5), 7 prototypes (a tile of 4 and 3 left), 9 rows (two tiles
        // of 4 and one left): every path of the kernel.
        const int features = 13, classes = 7, rows = 9;
        var random = new Random(5);
        float[] prototypes = Enumerable.Range(0, classes * features).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        for (int c = 0; c < classes; c++)
        {
            PrototypeScorer.Normalise(prototypes.AsSpan(c * features, features));
        }

        float[] faces = Enumerable.Range(0, rows * features).Select(_ => (float)((random.NextDouble() - 0.5) * 10)).ToArray();
        using var scorer = new PrototypeScorer(prototypes, features);

        float[] batch = scorer.Scores(faces, rows);

        for (int i = 0; i < rows; i++)
        {
            float[] alone = scorer.Scores(faces.AsSpan(i * features, features), 1);
            Assert.Equal(alone, batch.AsSpan(i * classes, classes).ToArray());
            for (int c = 0; c < classes; c++)
            {
                Assert.Equal(Cosine(faces.AsSpan(i * features, features), prototypes.AsSpan(c * features, features)), batch[(i * classes) + c], 5);
            }
        }
    }

    [Fact]
    public void Scores_into_a_buffer_equal_the_returned_scores()
    {
        using var scorer = new PrototypeScorer([1, 0, 0, 1], 2);
        var buffer = new float[6];

        scorer.Scores([3, 4, 0, 2, -1, 0], 3, buffer);

        Assert.Equal([0.6f, 0.8f, 0, 1, -1, 0], buffer);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int j = 0; j < a.Length; j++)
        {
            dot += (double)a[j] * b[j];
            na += (double)a[j] * a[j];
            nb += (double)b[j] * b[j];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
