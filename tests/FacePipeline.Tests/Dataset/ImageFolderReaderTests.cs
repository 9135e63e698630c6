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

        ImageSetException error = Assert.Throws<ImageSetException>(() => ImageFolderReader.Read(temp.Path));

        Assert.Equal($"{temp.Path}: no images found (expected one sub-folder per person, named after the person)", error.Message);
    }

    [Fact]
    public void A_missing_folder_is_an_error()
    {
        string missing = temp.Combine("nope");

        ImageSetException error = Assert.Throws<ImageSetException>(() => ImageFolderReader.Read(missing));

        Assert.Equal($"{missing}: image folder not found", error.Message);
    }

    public void Dispose() => temp.Dispose();

    private void Touch(params string[] parts)
    {
        string path = temp.Combine(parts);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1]);
    }
}
