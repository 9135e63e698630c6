using FacePipeline.Dataset;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Dataset;

/// <summary>Image folders: one sub-folder per person, any depth, hidden entries skipped.</summary>
public sealed class ImageFolderReaderTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void Labels_are_the_person_folders_and_nested_files_count()
    {
        Touch("alice", "1.pgm");
        Touch("alice", "holiday", "2019", "beach.jpg");
        Touch("bob", "b.png");
        Touch("Zoë Éclair", "中文.png");
        Touch("loose-file-at-root.png");

        IReadOnlyList<LabelledImage> images = ImageFolderReader.Read(temp.Path);

        Assert.Equal(["Zoë Éclair/中文.png", "alice/1.pgm", "alice/holiday/2019/beach.jpg", "bob/b.png"], images.Select(i => i.Path));
        Assert.Equal(["Zoë Éclair", "alice", "alice", "bob"], images.Select(i => i.Label));
        Assert.Equal(temp.Combine("alice", "holiday", "2019", "beach.jpg"), images[2].FullPath);
        Assert.All(images, i => Assert.Null(i.Split));
    }

    [Fact]
    public void Hidden_files_and_folders_are_skipped()
    {
        Touch("alice", "1.pgm");
        Touch("alice", ".DS_Store");
        Touch("alice", ".thumbnails", "1.png");
        Touch(".git", "objects", "x.png");

        LabelledImage image = Assert.Single(ImageFolderReader.Read(temp.Path));

        Assert.Equal("alice/1.pgm", image.Path);
    }

    [Fact]
    public void Every_orl_image_is_listed_with_its_person()
    {
        IReadOnlyList<LabelledImage> images = ImageFolderReader.Read(TestPaths.OrlFaces);

        Assert.Equal(400, images.Count);
        Assert.Equal(40, images.Select(i => i.Label).Distinct().Count());
        Assert.All(images, i => Assert.StartsWith(i.Label + "/", i.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void A_folder_without_person_folders_is_an_error()
    {
        Directory.CreateDirectory(temp.Combine("empty-person"));
        Touch("loose.png");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ImageFolderReader.Read(temp.Path));

        Assert.Equal(
            $"{temp.Path}: no images in person folders, only 1 file(s) at the top level, which have no label; put each person's images in a sub-folder named after the person",
            error.Message);
    }

    [Fact]
    public void A_missing_folder_is_an_error()
    {
        string missing = temp.Combine("nope");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ImageFolderReader.Read(missing));

        Assert.Equal($"{missing}: image folder not found", error.Message);
    }

    [Fact]
    public void A_link_loop_lists_each_image_once()
    {
        Touch("alice", "1.pgm");
        Touch("alice", "holiday", "2.pgm");
        Directory.CreateSymbolicLink(temp.Combine("alice", "holiday", "again"), temp.Combine("alice"));
        Directory.CreateSymbolicLink(temp.Combine("alice", "self"), temp.Combine("alice"));

        IReadOnlyList<LabelledImage> images = ImageFolderReader.Read(temp.Path);

        Assert.Equal(["alice/1.pgm", "alice/holiday/2.pgm"], images.Select(i => i.Path));
    }

    [Fact]
    public void A_link_to_a_parent_folder_is_not_followed_and_links_elsewhere_are_followed_once()
    {
        using var elsewhere = new TempFolder();
        File.WriteAllBytes(elsewhere.Combine("c.png"), [1]);
        Touch("bob", "b.png");
        // Followed forever, this link would list bob/up/bob/up/… until the path is too long.
        Directory.CreateSymbolicLink(temp.Combine("bob", "up"), temp.Path);
        Directory.CreateSymbolicLink(temp.Combine("carol"), elsewhere.Path);
        Directory.CreateSymbolicLink(temp.Combine("carol-again"), elsewhere.Path);
        Directory.CreateDirectory(temp.Combine("dave"));
        File.CreateSymbolicLink(temp.Combine("dave", "link.png"), temp.Combine("bob", "b.png"));

        IReadOnlyList<LabelledImage> images = ImageFolderReader.Read(temp.Path);

        Assert.Equal(["bob/b.png", "carol/c.png", "dave/link.png"], images.Select(i => i.Path));
    }

    [Fact]
    public void The_output_folder_inside_the_image_folder_is_not_scanned()
    {
        Touch("alice", "1.pgm");
        Touch("cache", "part-0001.parquet");
        Touch("cache", "errors.csv");

        IReadOnlyList<LabelledImage> images = ImageFolderReader.Read(temp.Path, excludedFolder: temp.Combine("cache"));

        Assert.Equal(["alice/1.pgm"], images.Select(i => i.Path));
    }

    public void Dispose() => temp.Dispose();

    private void Touch(params string[] parts)
    {
        string path = temp.Combine(parts);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1]);
    }
}
