namespace FacePipeline.Head;

/// <summary>
/// Per-feature mean and population standard deviation over rows seen one at a time, in float64 with shifted sums
/// (each feature minus the first row's value), which keeps the variance exact to float32 even when the mean is
/// large next to the spread. Both training modes standardise with it, so they scale their inputs identically.
/// </summary>
internal sealed class FeatureMoments
{
    private readonly double[] shift;
    private readonly double[] sum;
    private readonly double[] sumSquares;
    private long count;

    public FeatureMoments(int featureLength)
    {
        shift = new double[featureLength];
        sum = new double[featureLength];
        sumSquares = new double[featureLength];
    }

    /// <summary>Adds one row.</summary>
    public void Add(ReadOnlySpan<float> row)
    {
        if (count == 0)
        {
            for (int j = 0; j < row.Length; j++)
            {
                shift[j] = row[j];
            }
        }

        for (int j = 0; j < row.Length; j++)
        {
            double d = row[j] - shift[j];
            sum[j] += d;
            sumSquares[j] += d * d;
        }

        count++;
    }

    /// <summary>The mean of each feature.</summary>
    public float[] Mean() => shift.Select((k, j) => (float)(k + (sum[j] / count))).ToArray();

    /// <summary>The population standard deviation of each feature, at least 1e-6: constant features are only centred.</summary>
    public float[] Std() => sum.Select((s, j) =>
    {
        double mean = s / count;
        return (float)Math.Max(Math.Sqrt(Math.Max((sumSquares[j] / count) - (mean * mean), 0)), 1e-6);
    }).ToArray();
}
