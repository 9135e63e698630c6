namespace FacePipeline.Bench;

/// <summary>1-nearest-neighbour identification of a test set against a gallery, images without a vector counted as wrong.</summary>
/// <param name="TestImages">Test images, with and without a vector.</param>
/// <param name="Scored">Test images that had a vector (a face) and were matched.</param>
/// <param name="Gallery">Gallery vectors (train images with a face).</param>
/// <param name="Accuracy">Correct / <paramref name="TestImages"/>.</param>
/// <param name="AccuracyFacesFound">Correct / <paramref name="Scored"/>.</param>
/// <param name="MacroRecall">Mean over the test images' people of correct / that person's test images.</param>
internal sealed record NearestNeighbourScore(int TestImages, int Scored, int Gallery, double Accuracy, double AccuracyFacesFound, double MacroRecall)
{
    /// <summary>
    /// Matches every probe that has a vector to its nearest gallery vector by Euclidean distance (face_recognition's
    /// rule, without its distance threshold: closed-set identification) and scores the labels.
    /// </summary>
    public static NearestNeighbourScore Of(IReadOnlyList<(string Label, float[] Vector)> gallery, IReadOnlyList<(string Label, float[]? Vector)> probes)
    {
        if (probes.Count == 0)
        {
            throw new ArgumentException("no test images", nameof(probes));
        }

        var perPerson = new Dictionary<string, (int Total, int Correct)>(StringComparer.Ordinal);
        int correct = 0;
        int scored = 0;
        foreach ((string label, float[]? vector) in probes)
        {
            (int total, int right) = perPerson.GetValueOrDefault(label);
            bool hit = false;
            if (vector is not null && gallery.Count > 0)
            {
                scored++;
                hit = gallery.MinBy(g => SquaredDistance(g.Vector, vector)).Label == label;
            }

            correct += hit ? 1 : 0;
            perPerson[label] = (total + 1, right + (hit ? 1 : 0));
        }

        return new NearestNeighbourScore(
            probes.Count,
            scored,
            gallery.Count,
            (double)correct / probes.Count,
            scored == 0 ? double.NaN : (double)correct / scored,
            perPerson.Values.Average(p => (double)p.Correct / p.Total));
    }

    /// <summary>Scales <paramref name="vector"/> to unit length (Euclidean distance then ranks as cosine similarity does).</summary>
    public static float[] Normalised(float[] vector)
    {
        double norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        return norm == 0 ? vector : vector.Select(v => (float)(v / norm)).ToArray();
    }

    private static double SquaredDistance(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"vectors of {a.Length} and {b.Length} values");
        }

        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }
}
