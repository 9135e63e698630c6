namespace FacePipeline.Backbones;

/// <summary>Normalisation of feature vectors stored back to back (for descriptions with <c>"normalize": "l2"</c>).</summary>
public static class FeatureNormalizer
{
    /// <summary>Scales each vector of <paramref name="length"/> floats in <paramref name="features"/> to unit length; an all-zero vector stays zero.</summary>
    public static void L2(Span<float> features, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        for (int start = 0; start + length <= features.Length; start += length)
        {
            Span<float> vector = features.Slice(start, length);
            double sum = 0;
            foreach (float value in vector)
            {
                sum += (double)value * value;
            }

            if (sum > 0)
            {
                float inverse = (float)(1 / Math.Sqrt(sum));
                for (int i = 0; i < vector.Length; i++)
                {
                    vector[i] *= inverse;
                }
            }
        }
    }
}
