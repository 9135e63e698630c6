namespace FacePipeline.Faces;

/// <summary>An axis-aligned box in pixels: top-left corner and size (OpenCV's <c>Rect2f</c> convention).</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width (≥ 0).</param>
/// <param name="Height">Height (≥ 0).</param>
public readonly record struct FaceBox(float X, float Y, float Width, float Height)
{
    /// <summary>Right edge.</summary>
    public float Right => X + Width;

    /// <summary>Bottom edge.</summary>
    public float Bottom => Y + Height;

    /// <summary>Area in square pixels.</summary>
    public float Area => Math.Max(0, Width) * Math.Max(0, Height);

    /// <summary>Centre of the box.</summary>
    public FacePoint Center => new(X + (Width / 2), Y + (Height / 2));

    /// <summary>Intersection over union with <paramref name="other"/> (0 when either is empty).</summary>
    public float IntersectionOverUnion(FaceBox other)
    {
        float width = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        float height = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        if (width <= 0 || height <= 0)
        {
            return 0;
        }

        float intersection = width * height;
        float union = Area + other.Area - intersection;
        return union > 0 ? intersection / union : 0;
    }
}
