using System.Text.Json;
using FacePipeline.Backbones;
using FacePipeline.Faces;
using FacePipeline.Features;
using FacePipeline.Head;
using Xunit;

namespace FacePipeline.Tests.Features;

/// <summary>
/// The typed feature identity keeps the on-disk strings heads and caches have always recorded, reads those of older
/// versions, and is compared in one place.
/// </summary>
public sealed class FeatureIdentityTests
{
    private const string Detect = "detect:blazeface-front:sha256=ab:template=arcface-112:pick=largest:min-score=0.5";

    private static readonly BackboneIdentity Resnet = new("resnet18", new string('e', 64), "size=224x224;order=Bgr", "224x224", [512, 1, 1]);

    [Fact]
    public void Head_json_records_the_flat_backbone_object_it_always_did()
    {
        var identity = new FeatureIdentity(Resnet, FaceStage.Parse(Detect, "test"));

        string json = JsonSerializer.Serialize(identity, HeadFolder.JsonOptions);

        Assert.Equal(
            "{\"name\":\"resnet18\",\"model_sha256\":\"" + new string('e', 64) + "\",\"preprocessing\":\"size=224x224;order=Bgr\",\"input_size\":\"224x224\","
            + "\"feature_shape\":[512,1,1],\"normalize\":\"none\",\"face_stage\":\"" + Detect + "\",\"feature_length\":512,\"feature_shape_text\":\"512x1x1\"}",
            json.Replace("\n", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal));
        Assert.Equal(identity, JsonSerializer.Deserialize<FeatureIdentity>(json, HeadFolder.JsonOptions));
    }

    [Fact]
    public void A_head_from_before_normalisation_and_the_face_stage_reads_as_raw_whole_images()
    {
        const string old = "{\"name\":\"resnet18\",\"model_sha256\":\"ee\",\"preprocessing\":\"p\",\"input_size\":\"224x224\",\"feature_shape\":[512,1,1]}";

        FeatureIdentity identity = JsonSerializer.Deserialize<FeatureIdentity>(old, HeadFolder.JsonOptions)!;

        Assert.Equal(FaceStage.Parse(FaceStage.NoneIdentity, "test"), identity.FaceStage);
        Assert.Equal("none", identity.Backbone.Normalize);
        Assert.Equal(512, identity.FeatureLength);
    }

    [Theory]
    [InlineData("none")]
    [InlineData(Detect)]
    [InlineData("detect:yunet:sha256=0123:template=generic:pick=largest:min-score=0.6")]
    public void A_recorded_face_stage_reads_back_to_the_same_string(string recorded)
    {
        Assert.Equal(recorded, FaceStage.Parse(recorded, "part.parquet").Identity);
    }

    [Theory]
    [InlineData("detect:blazeface-front:sha256=ab:template=generic:pick=largest:min-score=0.5:flip=yes")]
    [InlineData("detect:blazeface-front:sha256=ab:template=generic:pick=smallest:min-score=0.5")]
    [InlineData("faces")]
    [InlineData("none:sha256=ab")]
    public void A_face_stage_this_version_cannot_represent_is_refused_with_one_line(string recorded)
    {
        FacePipelineException error = Assert.Throws<FacePipelineException>(() => FaceStage.Parse(recorded, "part.parquet"));

        Assert.StartsWith($"part.parquet: face stage '{recorded}' is not one this version of FacePipeline reads", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stages_that_read_the_same_to_people_are_told_apart_by_their_full_identity()
    {
        var strict = new FeatureIdentity(Resnet, FaceStage.Parse(Detect.Replace("0.5", "0.7", StringComparison.Ordinal), "test"));
        var usual = new FeatureIdentity(Resnet, FaceStage.Parse(Detect, "test"));

        FeatureIdentityMismatch mismatch = strict.Compare(usual)!;

        Assert.True(mismatch.InFaceStage);
        Assert.Equal(
            $"cache: features were made with face stage {strict.FaceStage.Identity}, but head h was trained with {Detect}; fix it",
            mismatch.Message("cache", "features were", "head h was trained", "fix it"));
        Assert.Null(usual.Compare(new FeatureIdentity(Resnet with { FeatureShape = [512, 1, 1] }, FaceStage.Parse(Detect, "again"))));
    }

    [Fact]
    public void A_backbone_difference_is_named_before_a_face_stage_difference()
    {
        var other = new FeatureIdentity(Resnet with { Name = "vgg16" }, FaceStage.None);
        var head = new FeatureIdentity(Resnet, FaceStage.Parse(Detect, "test"));

        FeatureIdentityMismatch mismatch = other.Compare(head)!;

        Assert.False(mismatch.InFaceStage);
        Assert.Equal("backbone", mismatch.Aspect);
        Assert.Equal($"vgg16 (sha256 eeeeeeeeeeee…, 512x1x1)", mismatch.Actual);
        Assert.Equal($"resnet18 (sha256 eeeeeeeeeeee…, 512x1x1, faces detect (blazeface-front, arcface-112, stored orientation, no min-face))", mismatch.Expected);
    }
}
