namespace FacePipeline.Faces;

/// <summary>
/// A 2-D similarity transform (rotation, uniform scale, translation; never a reflection):
/// x' = A·x − B·y + Tx, y' = B·x + A·y + Ty, where A = s·cos θ and B = s·sin θ.
/// </summary>
/// <param name="A">s·cos θ.</param>
/// <param name="B">s·sin θ.</param>
/// <param name="Tx">Translation in x.</param>
/// <param name="Ty">Translation in y.</param>
public readonly record struct SimilarityTransform(double A, double B, double Tx, double Ty)
{
    /// <summary>The identity.</summary>
    public static SimilarityTransform Identity { get; } = new(1, 0, 0, 0);

    /// <summary>Uniform scale factor s.</summary>
    public double Scale => Math.Sqrt((A * A) + (B * B));

    /// <summary>Rotation θ in radians (counter-clockwise in a y-up frame; clockwise on screen, where y points down).</summary>
    public double RotationRadians => Math.Atan2(B, A);

    /// <summary>Builds the transform from its scale, rotation and translation.</summary>
    public static SimilarityTransform FromParts(double scale, double rotationRadians, double tx, double ty) =>
        new(scale * Math.Cos(rotationRadians), scale * Math.Sin(rotationRadians), tx, ty);

    /// <summary>
    /// The least-squares similarity mapping <paramref name="from"/> onto <paramref name="to"/> (Umeyama 1991, "Least-squares
    /// estimation of transformation parameters between two point patterns", restricted to rotations: in 2-D its
    /// solution is the closed form below, the same as skimage's <c>SimilarityTransform.estimate</c> that InsightFace's
    /// <c>face_align.estimate_norm</c> uses). With centred points p, q: A = Σ(p·q) / Σ|p|², B = Σ(p × q) / Σ|p|².
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two pairs, different counts, or all source points equal.</exception>
    public static SimilarityTransform Estimate(IReadOnlyList<FacePoint> from, IReadOnlyList<FacePoint> to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.Count != to.Count || from.Count < 2)
        {
            throw new ArgumentException($"a similarity needs at least two point pairs ({from.Count} → {to.Count})");
        }

        int n = from.Count;
        double fromX = from.Average(p => (double)p.X), fromY = from.Average(p => (double)p.Y);
        double toX = to.Average(p => (double)p.X), toY = to.Average(p => (double)p.Y);
        double dot = 0, cross = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double px = from[i].X - fromX, py = from[i].Y - fromY;
            double qx = to[i].X - toX, qy = to[i].Y - toY;
            dot += (px * qx) + (py * qy);
            cross += (px * qy) - (py * qx);
            norm += (px * px) + (py * py);
        }

        if (norm <= 1e-12)
        {
            throw new ArgumentException("the source points coincide; no similarity is defined");
        }

        double a = dot / norm;
        double b = cross / norm;
        return new SimilarityTransform(a, b, toX - ((a * fromX) - (b * fromY)), toY - ((b * fromX) + (a * fromY)));
    }

    /// <summary>Applies the transform to <paramref name="point"/>.</summary>
    public FacePoint Apply(FacePoint point) =>
        new((float)((A * point.X) - (B * point.Y) + Tx), (float)((B * point.X) + (A * point.Y) + Ty));

    /// <summary>Applies the transform to (x, y) in double precision.</summary>
    public (double X, double Y) Apply(double x, double y) => ((A * x) - (B * y) + Tx, (B * x) + (A * y) + Ty);

    /// <summary>The inverse transform.</summary>
    public SimilarityTransform Invert()
    {
        double d = (A * A) + (B * B);
        if (d <= 0)
        {
            throw new InvalidOperationException("a zero-scale similarity has no inverse");
        }

        double a = A / d, b = -B / d;
        return new SimilarityTransform(a, b, -((a * Tx) - (b * Ty)), -((b * Tx) + (a * Ty)));
    }
}
