namespace FacePipeline.Faces;

/// <summary>
/// Generates SSD anchors exactly as MediaPipe's <c>SsdAnchorsCalculator::GenerateAnchors</c>
/// (mediapipe/calculators/tflite/ssd_anchors_calculator.cc): layers with the same stride share one grid of
/// ceil(input / stride) cells, visited row by row, each cell holding the anchors of all those layers in turn.
/// BlazeFace short-range (128, strides 8/16/16/16) gives 16×16×2 + 8×8×6 = 896 anchors.
/// </summary>
public static class SsdAnchorGenerator
{
    /// <summary>The anchors for <paramref name="options"/>, in the order of the model's outputs.</summary>
    public static IReadOnlyList<SsdAnchor> Generate(SsdAnchorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Strides.Count != options.NumLayers || options.NumLayers < 1)
        {
            throw new ArgumentException("anchors: num_layers must equal the number of strides", nameof(options));
        }

        var anchors = new List<SsdAnchor>();
        int layer = 0;
        while (layer < options.NumLayers)
        {
            var widths = new List<float>();
            var heights = new List<float>();
            int last = layer;
            while (last < options.NumLayers && options.Strides[last] == options.Strides[layer])
            {
                float scale = Scale(options, last);
                foreach (float ratio in options.AspectRatios)
                {
                    widths.Add(scale * MathF.Sqrt(ratio));
                    heights.Add(scale / MathF.Sqrt(ratio));
                }

                if (options.InterpolatedScaleAspectRatio > 0)
                {
                    float next = last == options.NumLayers - 1 ? 1f : Scale(options, last + 1);
                    float interpolated = MathF.Sqrt(scale * next);
                    float ratio = options.InterpolatedScaleAspectRatio;
                    widths.Add(interpolated * MathF.Sqrt(ratio));
                    heights.Add(interpolated / MathF.Sqrt(ratio));
                }

                last++;
            }

            int stride = options.Strides[layer];
            int rows = (int)Math.Ceiling((double)options.InputSizeHeight / stride);
            int columns = (int)Math.Ceiling((double)options.InputSizeWidth / stride);
            for (int y = 0; y < rows; y++)
            {
                for (int x = 0; x < columns; x++)
                {
                    for (int a = 0; a < widths.Count; a++)
                    {
                        float xCenter = (x + options.AnchorOffsetX) / columns;
                        float yCenter = (y + options.AnchorOffsetY) / rows;
                        anchors.Add(options.FixedAnchorSize
                            ? new SsdAnchor(xCenter, yCenter, 1f, 1f)
                            : new SsdAnchor(xCenter, yCenter, widths[a], heights[a]));
                    }
                }
            }

            layer = last;
        }

        return anchors;
    }

    private static float Scale(SsdAnchorOptions options, int strideIndex) => options.NumLayers == 1
        ? (options.MinScale + options.MaxScale) * 0.5f
        : options.MinScale + ((options.MaxScale - options.MinScale) * strideIndex / (options.NumLayers - 1f));
}
