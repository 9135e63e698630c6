using FacePipeline.Backbones;

namespace FacePipeline.Extraction;

/// <summary>
/// Flip test-time augmentation (standard in face-recognition evaluation): the backbone also sees the horizontal mirror
/// of its input (the aligned face, or the whole image under face stage <c>none</c>), and the feature vector is the mean
/// of the two, L2-normalised again when the backbone's features are. Costs a second backbone run per face. Part of the
/// features' identity (<see cref="Faces.FaceStage.FlipTta"/>), so such features never mix with single-view ones.
/// </summary>
public static class FlipAugmentation
{
    /// <summary>The <paramref name="rgb"/> image (<paramref name="widthPx"/> × <paramref name="heightPx"/> × 3 bytes, row-major) mirrored left to right.</summary>
    public static byte[] Mirror(ReadOnlySpan<byte> rgb, int widthPx, int heightPx)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(rgb.Length, widthPx * heightPx * 3);
        var mirrored = new byte[rgb.Length];
        for (int y = 0; y < heightPx; y++)
        {
            int row = y * widthPx * 3;
            for (int x = 0; x < widthPx; x++)
            {
                rgb.Slice(row + (x * 3), 3).CopyTo(mirrored.AsSpan(row + ((widthPx - 1 - x) * 3), 3));
            }
        }

        return mirrored;
    }

    /// <summary>
    /// Replaces <paramref name="features"/> (the input's) by the mean of them and <paramref name="mirrored"/> (the
    /// mirror's), each as the backbone outputs them, then L2-normalised when <paramref name="normalize"/> is <c>l2</c>.
    /// </summary>
    public static void Combine(Span<float> features, ReadOnlySpan<float> mirrored, string normalize)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(mirrored.Length, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = (features[i] + mirrored[i]) / 2;
        }

        if (normalize != BackboneIdentity.NoNormalization)
        {
            FeatureNormalizer.L2(features, features.Length);
        }
    }
}
