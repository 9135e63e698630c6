using FacePipeline.Backbones;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Backbones;

/// <summary>Which backbone a run gets without <c>--model</c>: VGG16 when installed, else the bundled face-trained one.</summary>
public sealed class DefaultBackboneTests : IDisposable
{
    private readonly TempFolder temp = new();

    /// <summary>The bundled models beside the test assembly (the build puts them there, as beside each program).</summary>
    private static string BundledModels => Path.Combine(AppContext.BaseDirectory, "models");

    [Fact]
    public void Without_vgg16_the_default_is_the_bundled_mobilefacenet_announced_in_one_line()
    {
        var catalog = new BackboneCatalog([temp.Combine("models"), BundledModels]);

        Backbone backbone = catalog.Resolve(null, out string? notice);

        Assert.Equal("mobilefacenet", backbone.Identity.Name);
        Assert.Equal(128, backbone.Identity.FeatureLength);
        Assert.NotNull(backbone.Description.FaceTemplate);
        Assert.NotNull(notice);
        Assert.DoesNotContain('\n', notice);
        Assert.StartsWith("note: models/vgg16-notop.onnx not found; using the bundled face-trained mobilefacenet", notice, StringComparison.Ordinal);
        Assert.Contains("--model resnet18", notice, StringComparison.Ordinal);
    }

    [Fact]
    public void With_vgg16_installed_it_stays_the_default_without_a_notice()
    {
        FixtureBackbone.Write(temp.Combine("models"), "vgg16-notop");
        var catalog = new BackboneCatalog([temp.Combine("models"), BundledModels]);

        Backbone backbone = catalog.Resolve(null, out string? notice);

        Assert.Equal("vgg16-notop", backbone.Identity.Name);
        Assert.Equal(Path.GetFullPath(temp.Combine("models", "vgg16-notop.onnx")), backbone.ModelPath);
        Assert.Null(notice);
    }

    [Fact]
    public void A_vgg16_description_without_its_model_file_does_not_count_as_installed()
    {
        Directory.CreateDirectory(temp.Combine("models"));
        File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "vgg16-notop.json"), temp.Combine("models", "vgg16-notop.json"));
        var catalog = new BackboneCatalog([temp.Combine("models"), BundledModels]);

        Backbone backbone = catalog.Resolve(null, out string? notice);

        Assert.Equal("mobilefacenet", backbone.Identity.Name);
        Assert.NotNull(notice);
    }

    [Theory]
    [InlineData("resnet18", 512)]
    [InlineData("mobilefacenet", 128)]
    public void The_bundled_backbones_stay_available_by_name(string name, int features)
    {
        var catalog = new BackboneCatalog([temp.Combine("models"), BundledModels]);

        Backbone backbone = catalog.Resolve(name, out string? notice);

        Assert.Equal(name, backbone.Identity.Name);
        Assert.Equal(features, backbone.Identity.FeatureLength);
        Assert.Null(notice);
    }

    public void Dispose() => temp.Dispose();
}
