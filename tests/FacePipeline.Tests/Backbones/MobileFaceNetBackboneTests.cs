using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Faces;
using FacePipeline.Imaging;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Backbones;

/// <summary>The bundled face embedding network: its description, identity, preprocessing and batch handling.</summary>
public sealed class MobileFaceNetBackboneTests
{
    /// <summary>SHA-256 of models/mobilefacenet/mobilefacenet.onnx, as listed in models/README.md and ../shared/models/SHA256SUMS.</summary>
    private const string Sha256 = "e72a5710cce378dc46472b6b845cb90647634f2738d8c3e581735cf195b9866f";

    private static Backbone Bundled()
    {
        Backbone backbone = new BackboneCatalog([Path.Combine(AppContext.BaseDirectory, "models")]).Resolve("mobilefacenet", out string? notice);
        Assert.Null(notice);
        return backbone;
    }

    [Fact]
    public void The_bundled_description_loads_with_its_contract_and_identity()
    {
        Backbone backbone = Bundled();
        BackboneDescription d = backbone.Description;

        Assert.Equal("mobilefacenet", d.Name);
        Assert.Equal("arcface-112", d.FaceTemplate);
        Assert.Equal(("input", TensorLayout.Nchw, 112, 112), (d.Input.Name, d.Input.Layout, d.Input.Width, d.Input.Height));
        Assert.Equal(("output", FeaturePooling.None), (d.Output.Name, d.Output.Pooling));
        Assert.Equal([128], d.Output.Shape);
        Assert.Equal(Sha256, backbone.Identity.ModelSha256);
        Assert.Equal(128, backbone.Identity.FeatureLength);
        // Both measured in models/README.md: L2 normalisation made no difference, and batch 1 ran fastest on the CPU.
        Assert.Equal(FeatureNormalization.None, d.Output.Normalize);
        Assert.Equal("none", backbone.Identity.Normalize);
        Assert.Equal(1, backbone.PreferredBatchSize);

        // The repository copy is the one the build ships.
        Assert.Equal(Sha256, ContentHashOf(Path.Combine(TestPaths.RepoRoot, "models", "mobilefacenet", "mobilefacenet.onnx")));
    }

    [Fact]
    public void Resnet18_keeps_generic_face_geometry_and_raw_features()
    {
        Backbone resnet = new BackboneCatalog([Path.Combine(AppContext.BaseDirectory, "models")]).Resolve("resnet18", out _);
        Assert.Null(resnet.Description.FaceTemplate);
        Assert.Equal(FeatureNormalization.None, resnet.Description.Output.Normalize);
        Assert.Equal("none", resnet.Identity.Normalize);
    }

    [Fact]
    public void Preprocessing_is_rgb_over_255_minus_the_imagenet_mean_over_std_in_nchw()
    {
        Preprocessing p = Bundled().Preprocessing;
        int plane = 112 * 112;
        var rgb = new byte[plane * 3];
        rgb[0] = 255; // pixel (0,0): R=255, G=0, B=128
        rgb[2] = 128;
        rgb[3] = 10; // pixel (1,0): R=10, G=20, B=30
        rgb[4] = 20;
        rgb[5] = 30;
        var tensor = new float[p.TensorLength];

        TensorFiller.Fill(rgb, p, tensor);

        // Channel planes R, G, B (RGB order, NCHW); value = (pixel/255 - mean) / std.
        Assert.Equal((1f - 0.485f) / 0.229f, tensor[0], 1e-4f);                      // 2.2489
        Assert.Equal((0f - 0.456f) / 0.224f, tensor[plane], 1e-4f);                  // -2.0357
        Assert.Equal(((128f / 255f) - 0.406f) / 0.225f, tensor[2 * plane], 1e-4f);   // 0.4265
        Assert.Equal(((10f / 255f) - 0.485f) / 0.229f, tensor[1], 1e-4f);            // -1.9467
        Assert.Equal(((20f / 255f) - 0.456f) / 0.224f, tensor[plane + 1], 1e-4f);    // -1.6856
        Assert.Equal(((30f / 255f) - 0.406f) / 0.225f, tensor[(2 * plane) + 1], 1e-4f); // -1.2815
        Assert.Equal(-0.485f / 0.229f, tensor[2], 1e-4f);                            // a black pixel
        Assert.Equal(2.2489083f, tensor[0], 1e-4f);
        Assert.Equal(-1.2814815f, tensor[(2 * plane) + 1], 1e-4f);
    }

    [Fact]
    public void The_fixed_batch_export_is_rewritten_and_a_batch_gives_each_image_its_own_features()
    {
        Backbone backbone = Bundled();
        using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, out string? notice);
        Assert.Null(notice);
        Assert.Equal(0, session.FixedBatchSize);

        const int images = 3;
        int length = backbone.Preprocessing.TensorLength;
        var tensors = new float[images * length];
        for (int i = 0; i < tensors.Length; i++)
        {
            tensors[i] = MathF.Sin((i * 0.001f) + (i / length)) * 1.5f;
        }

        var batch = new float[images * 128];
        session.Run(tensors, images, batch);
        for (int image = 0; image < images; image++)
        {
            var alone = new float[128];
            session.Run(tensors[(image * length)..((image + 1) * length)], 1, alone);
            for (int i = 0; i < 128; i++)
            {
                Assert.Equal(alone[i], batch[(image * 128) + i], 1e-3f);
            }
        }

        Assert.False(batch.AsSpan(0, 128).SequenceEqual(batch.AsSpan(128, 128)), "two different images gave the same embedding");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task At_batch_size_1_the_decoding_workers_run_it_and_give_the_batched_features_in_input_order(bool detect)
    {
        Backbone backbone = Bundled();
        var images = Enumerable.Range(1, 6).SelectMany(person => new[] { 1, 5 }.Select(image => TestPaths.OrlImage(person, image)))
            .Select(path => new HashedImage(new LabelledImage(path, path, null, null), null))
            .ToList();

        using BackboneSession lanes = BackboneSession.Open(backbone, DeviceSpec.Cpu, 1, out _);
        using BackboneSession batched = BackboneSession.Open(backbone, DeviceSpec.Cpu, 4, out _);
        Assert.Equal(Environment.ProcessorCount > 1 ? Environment.ProcessorCount : 1, lanes.Lanes);
        Assert.Equal(1, batched.Lanes);

        using FaceStageSession? faces = detect
            ? FaceStageSession.Open(FacePipeline.Tests.Faces.FaceDetectorTestSupport.Catalog.Resolve("blazeface-front"), backbone, DeviceSpec.Cpu, out _)
            : null;
        List<FeaturizedImage> one = await new ImageFeaturizer(lanes, faces).FeaturizeAsync(images, 1).ToListAsync();
        List<FeaturizedImage> four = await new ImageFeaturizer(batched, faces).FeaturizeAsync(images, 4).ToListAsync();

        Assert.Equal(images.Select(i => i.Image.Path), one.Select(r => r.Image.Path));
        Assert.Equal(images.Select(i => i.Image.Path), four.Select(r => r.Image.Path));
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Null(one[i].Failure);
            Assert.Equal(128, one[i].Features!.Length);
            for (int k = 0; k < 128; k++)
            {
                Assert.Equal(four[i].Features![k], one[i].Features![k], 1e-3f);
            }
        }

        Assert.False(one[0].Features.AsSpan().SequenceEqual(one[2].Features), "two people gave the same embedding");
    }

    private static string ContentHashOf(string path) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
