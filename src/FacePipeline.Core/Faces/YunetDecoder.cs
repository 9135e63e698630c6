namespace FacePipeline.Faces;

/// <summary>
/// Decodes YuNet's outputs as OpenCV's <c>FaceDetectorYNImpl::postProcess</c> does
/// (opencv/opencv, modules/objdetect/src/face_detect.cpp): per stride S, over the grid of padW/S × padH/S cells
/// (row r, column c), score = sqrt(clamp(cls, 0, 1) × clamp(obj, 0, 1)); centre = ((c + dx)·S, (r + dy)·S);
/// size = (exp(dw)·S, exp(dh)·S); landmark k = ((c + kx)·S, (r + ky)·S). Candidates below the score threshold are
/// skipped; NMS follows (<see cref="NonMaxSuppression.Hard"/>). Coordinates are input-canvas pixels.
/// </summary>
public static class YunetDecoder
{
    /// <summary>Decodes every cell scoring at least <paramref name="scoreThreshold"/>, before NMS.</summary>
    /// <param name="levels">The outputs per stride.</param>
    /// <param name="paddedWidth">Input width (a multiple of the largest stride).</param>
    /// <param name="paddedHeight">Input height.</param>
    /// <param name="scoreThreshold">Minimum score kept.</param>
    /// <param name="keypointNames">Names of the landmarks in output order (YuNet: the five points).</param>
    public static List<DetectedFace> Decode(IReadOnlyList<YunetLevelOutput> levels, int paddedWidth, int paddedHeight, float scoreThreshold, IReadOnlyList<string> keypointNames)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(keypointNames);
        var faces = new List<DetectedFace>();
        int keypoints = keypointNames.Count;
        foreach (YunetLevelOutput level in levels)
        {
            int stride = level.Stride;
            int columns = paddedWidth / stride;
            int rows = paddedHeight / stride;
            int cells = rows * columns;
            if (level.Scores.Length < cells || level.Objectness.Length < cells || level.Boxes.Length < cells * 4 || level.Keypoints.Length < cells * keypoints * 2)
            {
                throw new ArgumentException($"stride {stride}: outputs are smaller than the {columns}x{rows} grid", nameof(levels));
            }

            ReadOnlySpan<float> cls = level.Scores.Span;
            ReadOnlySpan<float> obj = level.Objectness.Span;
            ReadOnlySpan<float> box = level.Boxes.Span;
            ReadOnlySpan<float> kps = level.Keypoints.Span;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    int i = (r * columns) + c;
                    float score = MathF.Sqrt(Math.Clamp(cls[i], 0f, 1f) * Math.Clamp(obj[i], 0f, 1f));
                    if (score < scoreThreshold)
                    {
                        continue;
                    }

                    float cx = (c + box[i * 4]) * stride;
                    float cy = (r + box[(i * 4) + 1]) * stride;
                    float w = MathF.Exp(box[(i * 4) + 2]) * stride;
                    float h = MathF.Exp(box[(i * 4) + 3]) * stride;
                    var landmarks = new FaceLandmark[keypoints];
                    for (int k = 0; k < keypoints; k++)
                    {
                        int offset = (i * keypoints * 2) + (2 * k);
                        landmarks[k] = new FaceLandmark(keypointNames[k], new FacePoint((kps[offset] + c) * stride, (kps[offset + 1] + r) * stride));
                    }

                    faces.Add(new DetectedFace(new FaceBox(cx - (w / 2), cy - (h / 2), w, h), score, landmarks));
                }
            }
        }

        return faces;
    }
}
