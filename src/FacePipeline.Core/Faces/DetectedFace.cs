namespace FacePipeline.Faces;

/// <summary>
/// One face found by a detector: its box, the detector's score and its named landmarks, all in pixels of the image
/// the detector was given (or of the detector's input canvas, before <see cref="Letterbox.ToImage(DetectedFace)"/>). Created by the
/// detector and handed on, like InsightFace's <c>Face</c> record, to alignment, the feature cache's rows and the
/// predictions, the one face record of the pipeline. The cache stores the landmarks as x,y pairs in the detector's
/// order without their names, so a face read back from a cache names them by position (<see cref="FromPoints"/>).
/// </summary>
/// <param name="Box">The face box.</param>
/// <param name="Score">Detector confidence in [0, 1].</param>
/// <param name="Landmarks">Named landmarks in the detector's output order.</param>
public sealed record DetectedFace(FaceBox Box, float Score, IReadOnlyList<FaceLandmark> Landmarks)
{
    /// <summary>How <see cref="FromPoints"/> names a landmark read back without its name: <c>point0</c>, <c>point1</c>, ….</summary>
    public const string PositionalNamePrefix = "point";

    /// <summary>The landmarks as flat x,y pairs in the detector's order (what the feature cache stores).</summary>
    public float[] LandmarkValues => Landmarks.SelectMany(landmark => new[] { landmark.Point.X, landmark.Point.Y }).ToArray();

    /// <summary>The landmark names this face has, in the detector's order.</summary>
    public IReadOnlyList<string> LandmarkNames => Landmarks.Select(landmark => landmark.Name).ToList();

    /// <summary>
    /// The canonical five points (right eye, left eye, nose tip, right mouth corner, left mouth corner: the order of
    /// YuNet and of the ArcFace template), or null when the detector does not give all five (BlazeFace has a mouth
    /// centre instead of corners).
    /// </summary>
    public IReadOnlyList<FacePoint>? FivePoint
    {
        get
        {
            var points = new List<FacePoint>(5);
            foreach (string name in FaceLandmarkNames.FivePoint)
            {
                if (!TryGetLandmark(name, out FacePoint point))
                {
                    return null;
                }

                points.Add(point);
            }

            return points;
        }
    }

    /// <summary>A face from its stored form: box, score and flat x,y pairs, landmarks named by position (<see cref="PositionalNamePrefix"/>).</summary>
    public static DetectedFace FromPoints(FaceBox box, float score, IReadOnlyList<float> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var landmarks = new List<FaceLandmark>(points.Count / 2);
        for (int i = 0; i + 1 < points.Count; i += 2)
        {
            landmarks.Add(new FaceLandmark(PositionalNamePrefix + (i / 2).ToString(System.Globalization.CultureInfo.InvariantCulture), new FacePoint(points[i], points[i + 1])));
        }

        return new DetectedFace(box, score, landmarks);
    }

    /// <summary>Finds the landmark called <paramref name="name"/>.</summary>
    public bool TryGetLandmark(string name, out FacePoint point)
    {
        foreach (FaceLandmark landmark in Landmarks)
        {
            if (string.Equals(landmark.Name, name, StringComparison.Ordinal))
            {
                point = landmark.Point;
                return true;
            }
        }

        point = default;
        return false;
    }

    /// <summary>The same face with its box and landmarks passed through <paramref name="map"/> (the box by its two corners).</summary>
    public DetectedFace MapPoints(Func<FacePoint, FacePoint> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        FacePoint topLeft = map(new FacePoint(Box.X, Box.Y));
        FacePoint bottomRight = map(new FacePoint(Box.Right, Box.Bottom));
        var box = new FaceBox(topLeft.X, topLeft.Y, bottomRight.X - topLeft.X, bottomRight.Y - topLeft.Y);
        return new DetectedFace(box, Score, Landmarks.Select(landmark => landmark with { Point = map(landmark.Point) }).ToList());
    }
}
