using FacePipeline.Faces;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>Real detections with the bundled detectors on the committed LFW sample, hand-checked.</summary>
public sealed class FaceDetectorSessionTests(FaceDetectorTestSupport support) : IClassFixture<FaceDetectorTestSupport>
{
    public static TheoryData<string, string, float, float, float, float> Photos()
    {
        // Face boxes checked by eye on the 150x150 photos (hairline or brows to chin, cheek to cheek), in pixels.
        (string Path, FaceBox Box)[] photos =
        [
            ("Bill_Gates/Bill_Gates_0001.jpg", new FaceBox(45, 45, 58, 70)),
            ("Bill_Gates/Bill_Gates_0002.jpg", new FaceBox(53, 42, 62, 70)),
            ("Halle_Berry/Halle_Berry_0001.jpg", new FaceBox(42, 48, 58, 68)),
            ("Halle_Berry/Halle_Berry_0002.jpg", new FaceBox(44, 45, 62, 75)),
            ("Jackie_Chan/Jackie_Chan_0001.jpg", new FaceBox(49, 45, 54, 68)),
            ("Jackie_Chan/Jackie_Chan_0002.jpg", new FaceBox(46, 45, 58, 72)),
        ];
        var data = new TheoryData<string, string, float, float, float, float>();
        foreach (string detector in FaceDetectorCatalog.KnownNames)
        {
            foreach ((string path, FaceBox box) in photos)
            {
                data.Add(detector, path, box.X, box.Y, box.Width, box.Height);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void Finds_the_one_face_of_each_photo_within_tolerance_of_the_hand_checked_box(string detector, string photo, float x, float y, float width, float height)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(Path.Combine(FaceDetectorTestSupport.LfwFixture, photo));

        IReadOnlyList<DetectedFace> faces = support.Session(detector).Detect(image);

        DetectedFace face = Assert.Single(faces);
        var expected = new FaceBox(x, y, width, height);
        Assert.True(face.Box.IntersectionOverUnion(expected) >= 0.5f, $"{detector} {photo}: box {face.Box} vs hand-checked {expected}");
        Assert.True(face.TryGetLandmark(FaceLandmarkNames.RightEye, out FacePoint right));
        Assert.True(face.TryGetLandmark(FaceLandmarkNames.LeftEye, out FacePoint left));
        Assert.True(right.X < left.X, "the person's right eye is on the image's left");
        Assert.InRange(right.Y, y, y + (height / 2));
        Assert.InRange(face.Score, support.Session(detector).Detector.Description.ScoreThreshold, 1f);
    }

    [Theory]
    [InlineData("yunet")]
    [InlineData("blazeface-front")]
    [InlineData("blazeface-back")]
    public void Two_photos_side_by_side_give_two_faces_one_in_each_half(string detector)
    {
        using Image<Rgb24> left = Image.Load<Rgb24>(Path.Combine(FaceDetectorTestSupport.LfwFixture, "Bill_Gates/Bill_Gates_0001.jpg"));
        using Image<Rgb24> right = Image.Load<Rgb24>(Path.Combine(FaceDetectorTestSupport.LfwFixture, "Halle_Berry/Halle_Berry_0002.jpg"));
        using var composite = new Image<Rgb24>(300, 150);
        composite.Mutate(context => context.DrawImage(left, new Point(0, 0), 1f).DrawImage(right, new Point(150, 0), 1f));

        IReadOnlyList<DetectedFace> faces = support.Session(detector).Detect(composite);

        Assert.Equal(2, faces.Count);
        Assert.Single(faces, face => face.Box.Center.X < 150);
        Assert.Single(faces, face => face.Box.Center.X > 150);
    }

    [Fact]
    public void A_large_image_is_scaled_down_and_its_face_mapped_back_to_its_own_pixels()
    {
        using Image<Rgb24> small = Image.Load<Rgb24>(Path.Combine(FaceDetectorTestSupport.LfwFixture, "Jackie_Chan/Jackie_Chan_0001.jpg"));
        using Image<Rgb24> large = small.Clone(context => context.Resize(1200, 1200, KnownResamplers.Triangle));

        DetectedFace atSmall = Assert.Single(support.Session("yunet").Detect(small));

        // Enlarged 8×, a small background face (lower left) becomes detectable too; the best face is the person's.
        DetectedFace atLarge = support.Session("yunet").Detect(large)[0];

        Assert.Equal(atSmall.Box.Center.X * 8, atLarge.Box.Center.X, 8 * 3f);
        Assert.Equal(atSmall.Box.Center.Y * 8, atLarge.Box.Center.Y, 8 * 3f);
        Assert.Equal(atSmall.Box.Width * 8, atLarge.Box.Width, 8 * 6f);
    }

    [Fact]
    public void Yunet_gives_the_five_points_and_blazeface_eyes_nose_mouth_centre_and_ears()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(Path.Combine(FaceDetectorTestSupport.LfwFixture, "Halle_Berry/Halle_Berry_0001.jpg"));

        DetectedFace yunet = support.Session("yunet").Detect(image)[0];
        DetectedFace blazeface = support.Session("blazeface-front").Detect(image)[0];

        Assert.NotNull(yunet.FivePoint);
        Assert.Equal(FaceLandmarkNames.FivePoint, yunet.LandmarkNames);
        Assert.Null(blazeface.FivePoint);
        Assert.Equal(
            [FaceLandmarkNames.RightEye, FaceLandmarkNames.LeftEye, FaceLandmarkNames.NoseTip, FaceLandmarkNames.MouthCenter, FaceLandmarkNames.RightEarTragion, FaceLandmarkNames.LeftEarTragion],
            blazeface.LandmarkNames);

        // Both detectors put the eyes within a few pixels of each other.
        Assert.True(yunet.TryGetLandmark(FaceLandmarkNames.RightEye, out FacePoint a));
        Assert.True(blazeface.TryGetLandmark(FaceLandmarkNames.RightEye, out FacePoint b));
        Assert.InRange(MathF.Abs(a.X - b.X) + MathF.Abs(a.Y - b.Y), 0, 5);
    }
}
