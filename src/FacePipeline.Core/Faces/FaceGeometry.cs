namespace FacePipeline.Faces;

/// <summary>
/// Where an aligned face goes: the output size and the template position of each named landmark, in output pixels.
/// A backbone description names its geometry (<c>face_template</c>): <c>arcface-112</c> for face-trained networks,
/// <c>generic</c> for ImageNet networks.
/// </summary>
public sealed class FaceGeometry
{
    /// <summary>Name of the ArcFace five-point template (InsightFace's <c>arcface_dst</c>), 112×112.</summary>
    public const string ArcfaceName = "arcface-112";

    /// <summary>Name of the generic geometry: the ArcFace template shrunk into the square with a margin.</summary>
    public const string GenericName = "generic";

    /// <summary>
    /// Fraction of the output side left on each side of the ArcFace square in the generic geometry: the face and its
    /// template points take the middle 75 %, so an ImageNet network sees the whole head with some context, eyes level.
    /// </summary>
    public const float GenericMarginFraction = 0.125f;

    private const float ArcfaceSizePx = 112f;

    // InsightFace utils/face_align.py arcface_dst, in 112x112 pixels: right eye, left eye, nose tip, right and left
    // mouth corner (the person's right is on the image's left).
    private static readonly FaceLandmark[] ArcfacePoints =
    [
        new(FaceLandmarkNames.RightEye, new FacePoint(38.2946f, 51.6963f)),
        new(FaceLandmarkNames.LeftEye, new FacePoint(73.5318f, 51.5014f)),
        new(FaceLandmarkNames.NoseTip, new FacePoint(56.0252f, 71.7366f)),
        new(FaceLandmarkNames.RightMouthCorner, new FacePoint(41.5493f, 92.3655f)),
        new(FaceLandmarkNames.LeftMouthCorner, new FacePoint(70.7299f, 92.2041f)),
    ];

    /// <summary>Creates a geometry.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="widthPx">Output width in pixels.</param>
    /// <param name="heightPx">Output height in pixels.</param>
    /// <param name="points">Template landmarks in output pixels.</param>
    public FaceGeometry(string name, int widthPx, int heightPx, IReadOnlyList<FaceLandmark> points)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(widthPx, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heightPx, 1);
        ArgumentNullException.ThrowIfNull(points);
        Name = name;
        WidthPx = widthPx;
        HeightPx = heightPx;
        Points = points;
    }

    /// <summary>The names <see cref="Resolve"/> knows.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = [ArcfaceName, GenericName];

    /// <summary>Name of the geometry (recorded with the features it made).</summary>
    public string Name { get; }

    /// <summary>Output width in pixels.</summary>
    public int WidthPx { get; }

    /// <summary>Output height in pixels.</summary>
    public int HeightPx { get; }

    /// <summary>Template landmarks in output pixels.</summary>
    public IReadOnlyList<FaceLandmark> Points { get; }

    /// <summary>The ArcFace 112×112 five-point template, scaled to <paramref name="widthPx"/>×<paramref name="heightPx"/> (exact at 112).</summary>
    public static FaceGeometry Arcface(int widthPx = 112, int heightPx = 112) =>
        new(ArcfaceName, widthPx, heightPx, Scaled(widthPx / ArcfaceSizePx, heightPx / ArcfaceSizePx, 0, 0));

    /// <summary>
    /// The generic geometry for ImageNet networks: the ArcFace template shrunk into the centred square of side
    /// min(width, height) less <see cref="GenericMarginFraction"/> on each side, so the eyes are level and the head
    /// sits in the middle with context around it.
    /// </summary>
    public static FaceGeometry Generic(int widthPx, int heightPx)
    {
        float side = Math.Min(widthPx, heightPx);
        float inner = side * (1 - (2 * GenericMarginFraction));
        float scale = inner / ArcfaceSizePx;
        return new FaceGeometry(GenericName, widthPx, heightPx, Scaled(scale, scale, (widthPx - inner) / 2, (heightPx - inner) / 2));
    }

    /// <summary>The geometry called <paramref name="name"/> for an output of the given size.</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    public static FaceGeometry Resolve(string name, int widthPx, int heightPx) => name switch
    {
        ArcfaceName => Arcface(widthPx, heightPx),
        GenericName => Generic(widthPx, heightPx),
        _ => throw new ArgumentException($"'{name}' is not a face template; known: {string.Join(", ", KnownNames)}", nameof(name)),
    };

    /// <summary>
    /// The template position of <paramref name="landmark"/>; <c>mouth_center</c> is the midpoint of the two mouth corners
    /// when the template has them (how BlazeFace's mouth centre maps onto a five-point template).
    /// </summary>
    public bool TryGetPoint(string landmark, out FacePoint point)
    {
        foreach (FaceLandmark candidate in Points)
        {
            if (candidate.Name == landmark)
            {
                point = candidate.Point;
                return true;
            }
        }

        if (landmark == FaceLandmarkNames.MouthCenter
            && TryGetPoint(FaceLandmarkNames.RightMouthCorner, out FacePoint right)
            && TryGetPoint(FaceLandmarkNames.LeftMouthCorner, out FacePoint left))
        {
            point = new FacePoint((right.X + left.X) / 2, (right.Y + left.Y) / 2);
            return true;
        }

        point = default;
        return false;
    }

    /// <summary>
    /// The point pairs (face in image pixels → template in output pixels) that alignment fits: every landmark of the
    /// face that the template has, in the face's order. YuNet gives all five; BlazeFace gives eyes, nose tip and mouth
    /// centre (its ears are not in the template).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two shared points.</exception>
    public (IReadOnlyList<FacePoint> Image, IReadOnlyList<FacePoint> Template) Correspondences(DetectedFace face)
    {
        ArgumentNullException.ThrowIfNull(face);
        var image = new List<FacePoint>();
        var template = new List<FacePoint>();
        foreach (FaceLandmark landmark in face.Landmarks)
        {
            if (TryGetPoint(landmark.Name, out FacePoint target))
            {
                image.Add(landmark.Point);
                template.Add(target);
            }
        }

        if (image.Count < 2)
        {
            throw new ArgumentException(
                $"the face's landmarks ({string.Join(", ", face.LandmarkNames)}) share fewer than two points with the {Name} template", nameof(face));
        }

        return (image, template);
    }

    private static FaceLandmark[] Scaled(float scaleX, float scaleY, float offsetX, float offsetY) =>
        ArcfacePoints.Select(p => p with { Point = new FacePoint((p.Point.X * scaleX) + offsetX, (p.Point.Y * scaleY) + offsetY) }).ToArray();
}
