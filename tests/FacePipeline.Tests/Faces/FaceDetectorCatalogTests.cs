using FacePipeline.Faces;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Faces;

/// <summary>The bundled detector descriptions load by known name; letterboxing follows each detector's rules.</summary>
public sealed class FaceDetectorCatalogTests
{
    [Theory]
    [InlineData("yunet", FaceDetectorKind.Yunet, 640, TensorLayout.Nchw, "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4")]
    [InlineData("blazeface-front", FaceDetectorKind.Blazeface, 128, TensorLayout.Nhwc, "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51")]
    [InlineData("blazeface-back", FaceDetectorKind.Blazeface, 256, TensorLayout.Nhwc, "427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2")]
    public void Known_names_resolve_to_the_bundled_models(string name, FaceDetectorKind kind, int size, TensorLayout layout, string sha256)
    {
        FaceDetector detector = FaceDetectorTestSupport.Catalog.Resolve(name);

        Assert.Equal(name, detector.Name);
        Assert.Equal(kind, detector.Description.Kind);
        Assert.Equal(size, detector.Description.Input.Width);
        Assert.Equal(layout, detector.Description.Input.Layout);
        Assert.Equal(sha256, detector.ModelSha256);
    }

    [Fact]
    public void An_unknown_name_is_refused_with_the_known_names()
    {
        var error = Assert.Throws<FacePipelineException>(() => FaceDetectorTestSupport.Catalog.Resolve("retinaface"));
        Assert.Contains("known names: yunet, blazeface-front, blazeface-back", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_description_without_anchors_for_blazeface_is_refused()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("bad.json");
        File.WriteAllText(path, """{"name": "bad", "kind": "blazeface", "model": "x.onnx", "input": {"width": 128, "height": 128}, "outputs": {"scores": ["s"], "boxes": ["b"]}}""");

        var error = Assert.Throws<FacePipelineException>(() => FaceDetectorDescription.Load(path));
        Assert.Contains("needs anchors and box_decoding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yunet_letterbox_downscales_large_images_and_pads_small_ones_at_the_top_left()
    {
        Letterbox large = Letterbox.Plan(1000, 500, 640, 640, upscale: false, LetterboxAnchor.TopLeft);
        Letterbox small = Letterbox.Plan(150, 100, 640, 640, upscale: false, LetterboxAnchor.TopLeft);

        Assert.Equal((640, 320, 0, 0), (large.ResizedWidth, large.ResizedHeight, large.OffsetX, large.OffsetY));
        Assert.Equal(new FacePoint(500, 250), large.ToImage(new FacePoint(320, 160)));
        Assert.Equal((150, 100, 1f), (small.ResizedWidth, small.ResizedHeight, small.ScaleX));
    }

    [Fact]
    public void Blazeface_letterbox_scales_to_the_input_and_centres_the_image()
    {
        Letterbox box = Letterbox.Plan(150, 100, 128, 128, upscale: true, LetterboxAnchor.Center);

        Assert.Equal((128, 85, 0, 21), (box.ResizedWidth, box.ResizedHeight, box.OffsetX, box.OffsetY));
        FacePoint back = box.ToImage(new FacePoint(64, 21 + 42.5f));
        Assert.Equal(75f, back.X, 1e-3f);
        Assert.Equal(50f, back.Y, 1e-3f);
    }
}
