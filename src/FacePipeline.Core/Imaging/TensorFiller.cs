namespace FacePipeline.Imaging;

/// <summary>
/// The one pure function that turns resized 8-bit RGB pixels into backbone input values. Extraction and prediction
/// both call it, so training features and prediction features cannot be preprocessed differently.
/// </summary>
public static class TensorFiller
{
    /// <summary>
    /// Writes one image into <paramref name="destination"/> (length <see cref="Preprocessing.TensorLength"/>) in the
    /// layout, channel order and normalisation of <paramref name="preprocessing"/>.
    /// </summary>
    /// <param name="rgb">Interleaved RGB bytes, row-major, exactly WidthPx × HeightPx × 3.</param>
    /// <param name="preprocessing">The backbone's preprocessing.</param>
    /// <param name="destination">Where the image's values go.</param>
    public static void Fill(ReadOnlySpan<byte> rgb, Preprocessing preprocessing, Span<float> destination)
    {
        int width = preprocessing.WidthPx;
        int height = preprocessing.HeightPx;
        int plane = width * height;
        if (rgb.Length != plane * 3)
        {
            throw new ArgumentException($"expected {plane * 3} RGB bytes for {width}x{height}, got {rgb.Length}", nameof(rgb));
        }

        if (destination.Length != plane * 3)
        {
            throw new ArgumentException($"destination must hold {plane * 3} values, has {destination.Length}", nameof(destination));
        }

        Span<float> mean = stackalloc float[3];
        Span<float> inverseStd = stackalloc float[3];
        Span<int> source = stackalloc int[3];
        for (int c = 0; c < 3; c++)
        {
            // Tensor channel c reads RGB channel source[c].
            source[c] = preprocessing.ChannelOrder == ChannelOrder.Bgr ? 2 - c : c;
            mean[c] = preprocessing.Mean?[c] ?? 0f;
            inverseStd[c] = 1f / (preprocessing.Std?[c] ?? 1f);
        }

        float scale = preprocessing.Scale;
        ReadOnlySpan<float> meanImage = preprocessing.MeanImage;
        if (preprocessing.MeanImage is not null && meanImage.Length != plane * 3)
        {
            throw new ArgumentException($"mean image has {meanImage.Length} values, expected {plane * 3}", nameof(preprocessing));
        }

        bool planar = preprocessing.Layout == TensorLayout.Nchw;
        for (int pixel = 0; pixel < plane; pixel++)
        {
            int rgbIndex = pixel * 3;
            for (int c = 0; c < 3; c++)
            {
                float value = rgb[rgbIndex + source[c]] * scale;
                if (!meanImage.IsEmpty)
                {
                    value -= meanImage[c * plane + pixel];
                }

                destination[planar ? c * plane + pixel : rgbIndex + c] = (value - mean[c]) * inverseStd[c];
            }
        }
    }
}
