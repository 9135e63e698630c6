namespace FacePipeline.Faces;

/// <summary>Non-maximum suppression over candidate faces: pure functions, results ordered by descending score.</summary>
public static class NonMaxSuppression
{
    /// <summary>
    /// Hard NMS as OpenCV's <c>dnn::NMSBoxes</c> (used by <c>FaceDetectorYN</c>): visit candidates by descending
    /// score, keep one unless its IoU with an already kept box exceeds <paramref name="iouThreshold"/>.
    /// </summary>
    /// <param name="candidates">Candidate faces.</param>
    /// <param name="iouThreshold">Overlap above which the weaker box is dropped.</param>
    /// <param name="topK">Keep at most this many (0: no limit).</param>
    public static IReadOnlyList<DetectedFace> Hard(IReadOnlyList<DetectedFace> candidates, float iouThreshold, int topK = 0)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var kept = new List<DetectedFace>();
        foreach (DetectedFace candidate in candidates.OrderByDescending(face => face.Score))
        {
            if (kept.All(face => face.Box.IntersectionOverUnion(candidate.Box) <= iouThreshold))
            {
                kept.Add(candidate);
                if (topK > 0 && kept.Count == topK)
                {
                    break;
                }
            }
        }

        return kept;
    }

    /// <summary>
    /// Weighted NMS as MediaPipe's <c>NonMaxSuppressionCalculator</c> with <c>algorithm: WEIGHTED</c>
    /// (mediapipe/calculators/util/non_max_suppression_calculator.cc): take the best remaining candidate, gather every
    /// remaining candidate whose IoU with it exceeds <paramref name="iouThreshold"/> (itself included), and output
    /// the score-weighted mean of their box corners and keypoints with the best candidate's score.
    /// </summary>
    /// <param name="candidates">Candidate faces; all must have the same landmark names in the same order.</param>
    /// <param name="iouThreshold">Overlap above which candidates are merged.</param>
    /// <param name="topK">Keep at most this many (0: no limit).</param>
    public static IReadOnlyList<DetectedFace> Weighted(IReadOnlyList<DetectedFace> candidates, float iouThreshold, int topK = 0)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        List<DetectedFace> remaining = candidates.OrderByDescending(face => face.Score).ToList();
        var output = new List<DetectedFace>();
        while (remaining.Count > 0 && (topK <= 0 || output.Count < topK))
        {
            DetectedFace best = remaining[0];
            var cluster = new List<DetectedFace>();
            var rest = new List<DetectedFace>();
            foreach (DetectedFace candidate in remaining)
            {
                (candidate.Box.IntersectionOverUnion(best.Box) > iouThreshold || ReferenceEquals(candidate, best) ? cluster : rest).Add(candidate);
            }

            output.Add(WeightedMean(best, cluster));
            remaining = rest;
        }

        return output;
    }

    private static DetectedFace WeightedMean(DetectedFace best, List<DetectedFace> cluster)
    {
        float total = 0, left = 0, top = 0, right = 0, bottom = 0;
        var xs = new float[best.Landmarks.Count];
        var ys = new float[best.Landmarks.Count];
        foreach (DetectedFace face in cluster)
        {
            if (face.Landmarks.Count != xs.Length)
            {
                throw new ArgumentException("weighted NMS needs the same landmarks on every candidate", nameof(cluster));
            }

            float weight = face.Score;
            total += weight;
            left += face.Box.X * weight;
            top += face.Box.Y * weight;
            right += face.Box.Right * weight;
            bottom += face.Box.Bottom * weight;
            for (int i = 0; i < xs.Length; i++)
            {
                xs[i] += face.Landmarks[i].Point.X * weight;
                ys[i] += face.Landmarks[i].Point.Y * weight;
            }
        }

        if (total <= 0)
        {
            return best;
        }

        var box = new FaceBox(left / total, top / total, (right - left) / total, (bottom - top) / total);
        var landmarks = best.Landmarks.Select((landmark, i) => landmark with { Point = new FacePoint(xs[i] / total, ys[i] / total) }).ToList();
        return new DetectedFace(box, best.Score, landmarks);
    }
}
