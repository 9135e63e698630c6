namespace FacePipeline.Faces;

/// <summary>
/// Which face of an image to keep when one is wanted (Extract keeps one per image): the largest, measured by the part
/// of its box inside the image, ties broken by score. Measured on lfw-dev images with two or more faces, where the
/// labelled person is the central face: this picked it in 64/67 (YuNet), 136/141 (BlazeFace front) and 116/121
/// (BlazeFace back) images, against 53/67, 135/141 and 113/121 for the most confident face; half-visible faces at the
/// frame's edge have large boxes that mostly lie outside the image, hence the clipping.
/// </summary>
public static class FaceSelection
{
    /// <summary>The face to keep among <paramref name="faces"/> of a <paramref name="imageWidth"/>×<paramref name="imageHeight"/> image, or null when there is none.</summary>
    public static DetectedFace? Largest(IReadOnlyList<DetectedFace> faces, int imageWidth, int imageHeight)
    {
        ArgumentNullException.ThrowIfNull(faces);
        DetectedFace? best = null;
        float bestArea = -1;
        foreach (DetectedFace face in faces)
        {
            float area = VisibleArea(face.Box, imageWidth, imageHeight);
            if (area > bestArea || (area == bestArea && best is not null && face.Score > best.Score))
            {
                best = face;
                bestArea = area;
            }
        }

        return best;
    }

    /// <summary>Area of the part of <paramref name="box"/> inside the image, in square pixels.</summary>
    public static float VisibleArea(FaceBox box, int imageWidth, int imageHeight)
    {
        float width = Math.Min(box.Right, imageWidth) - Math.Max(box.X, 0);
        float height = Math.Min(box.Bottom, imageHeight) - Math.Max(box.Y, 0);
        return width > 0 && height > 0 ? width * height : 0;
    }
}
