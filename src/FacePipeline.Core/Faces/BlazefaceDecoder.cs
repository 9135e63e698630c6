namespace FacePipeline.Faces;

/// <summary>
/// Decodes BlazeFace's outputs as MediaPipe's <c>TensorsToDetectionsCalculator</c> does with the options of its face
/// detection graph (mediapipe/calculators/tensor/tensors_to_detections_calculator.cc,
/// mediapipe/modules/face_detection/face_detection.pbtxt: reverse_output_order, sigmoid_score,
/// score_clipping_thresh 100, num_coords 16, 6 keypoints at offset 4): for anchor a,
/// score = sigmoid(clip(logit)); centre = (x / x_scale · a.w + a.x, y / y_scale · a.h + a.y); size =
/// (w / w_scale · a.w, h / h_scale · a.h); keypoint k likewise from its (x, y). MediaPipe keeps normalised
/// coordinates; here they are multiplied by the input size, so results are input-canvas pixels like YuNet's.
/// Weighted NMS follows (<see cref="NonMaxSuppression.Weighted"/>).
/// </summary>
public static class BlazefaceDecoder
{
    /// <summary>Decodes every anchor scoring at least <paramref name="scoreThreshold"/>, before NMS.</summary>
    /// <param name="logits">Score logits, one per anchor.</param>
    /// <param name="regressors">Per anchor 4 + 2 × keypoints values: cx, cy, w, h, then (x, y) per keypoint.</param>
    /// <param name="anchors">The anchors, in output order.</param>
    /// <param name="decoding">Scales and score clipping.</param>
    /// <param name="scoreThreshold">Minimum score (after the sigmoid) kept.</param>
    /// <param name="keypointNames">Names of the keypoints in output order.</param>
    /// <param name="inputWidth">Input width in pixels.</param>
    /// <param name="inputHeight">Input height in pixels.</param>
    public static List<DetectedFace> Decode(
        ReadOnlySpan<float> logits,
        ReadOnlySpan<float> regressors,
        IReadOnlyList<SsdAnchor> anchors,
        FaceDetectorDescription.BoxDecodingSpec decoding,
        float scoreThreshold,
        IReadOnlyList<string> keypointNames,
        int inputWidth,
        int inputHeight)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(decoding);
        ArgumentNullException.ThrowIfNull(keypointNames);
        int coords = 4 + (2 * keypointNames.Count);
        if (logits.Length != anchors.Count || regressors.Length != anchors.Count * coords)
        {
            throw new ArgumentException($"outputs hold {logits.Length} scores and {regressors.Length} regressors; {anchors.Count} anchors need {anchors.Count} and {anchors.Count * coords}");
        }

        var faces = new List<DetectedFace>();
        for (int i = 0; i < anchors.Count; i++)
        {
            float logit = Math.Clamp(logits[i], -decoding.ScoreClippingThresh, decoding.ScoreClippingThresh);
            float score = 1f / (1f + MathF.Exp(-logit));
            if (score < scoreThreshold)
            {
                continue;
            }

            SsdAnchor anchor = anchors[i];
            ReadOnlySpan<float> raw = regressors.Slice(i * coords, coords);
            float cx = (raw[0] / decoding.XScale * anchor.Width) + anchor.XCenter;
            float cy = (raw[1] / decoding.YScale * anchor.Height) + anchor.YCenter;
            float w = raw[2] / decoding.WScale * anchor.Width;
            float h = raw[3] / decoding.HScale * anchor.Height;
            var landmarks = new FaceLandmark[keypointNames.Count];
            for (int k = 0; k < landmarks.Length; k++)
            {
                float x = (raw[4 + (2 * k)] / decoding.XScale * anchor.Width) + anchor.XCenter;
                float y = (raw[5 + (2 * k)] / decoding.YScale * anchor.Height) + anchor.YCenter;
                landmarks[k] = new FaceLandmark(keypointNames[k], new FacePoint(x * inputWidth, y * inputHeight));
            }

            var box = new FaceBox((cx - (w / 2)) * inputWidth, (cy - (h / 2)) * inputHeight, w * inputWidth, h * inputHeight);
            faces.Add(new DetectedFace(box, score, landmarks));
        }

        return faces;
    }
}
