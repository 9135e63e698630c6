using FacePipeline.Imaging;

namespace FacePipeline.Backbones;

/// <summary>Global average pooling of backbone output maps (for descriptions with <c>"pooling": "avg"</c>).</summary>
public static class FeaturePool
{
    /// <summary>
    /// Averages each channel of <paramref name="count"/> maps of per-image <paramref name="shape"/> over its spatial
    /// positions. Channels come first for NCHW models and last for NHWC models.
    /// </summary>
    public static void Average(ReadOnlySpan<float> maps, int count, IReadOnlyList<int> shape, TensorLayout layout, Span<float> pooled)
    {
        int perImage = shape.Aggregate(1, (product, dim) => product * dim);
        int channels = layout == TensorLayout.Nhwc ? shape[^1] : shape[0];
        int positions = perImage / channels;
        pooled[..(count * channels)].Clear();
        for (int image = 0; image < count; image++)
        {
            ReadOnlySpan<float> map = maps.Slice(image * perImage, perImage);
            Span<float> target = pooled.Slice(image * channels, channels);
            for (int i = 0; i < perImage; i++)
            {
                int channel = layout == TensorLayout.Nhwc ? i % channels : i / positions;
                target[channel] += map[i];
            }

            for (int c = 0; c < channels; c++)
            {
                target[c] /= positions;
            }
        }
    }
}
