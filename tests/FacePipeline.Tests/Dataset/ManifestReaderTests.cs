using System.Text;
using FacePipeline.Dataset;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Dataset;

/// <summary>CSV manifests: RFC 4180 quoting, any Unicode, absolute paths, the optional split column and the one-line errors.</summary>
public sealed class ManifestReaderTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void Quoted_paths_with_commas_quotes_spaces_and_unicode_are_read_as_written()
    {
        string csv = Write(
            "path,label",
            "\"people/a, b.pgm\",alice",
            "\"people/say \"\"cheese\"\".pgm\",bob",
            "people/Zoë Éclair/1.png,zoë",
            "\"人物/中文 照片.jpg\",李雷");

        IReadOnlyList<LabelledImage> images = ManifestReader.Read(csv);

        Assert.Equal(["people/a, b.pgm", "people/say \"cheese\".pgm", "people/Zoë Éclair/1.png", "人物/中文 照片.jpg"], images.Select(i => i.Path));
        Assert.Equal(["alice", "bob", "zoë", "李雷"], images.Select(i => i.Label));
        Assert.Equal(temp.Combine("people", "a, b.pgm"), images[0].FullPath);
        Assert.Equal(temp.Combine("人物", "中文 照片.jpg"), images[3].FullPath);
        Assert.All(images, i => Assert.Null(i.Split));
    }

    [Fact]
    public void Absolute_paths_stay_absolute_and_are_their_own_key()
    {
        string absolute = TestPaths.OrlImage(2, 3);
        string csv = Write("path,label", $"{absolute},s2", "s1/1.pgm,s1");

        IReadOnlyList<LabelledImage> images = ManifestReader.Read(csv);

        Assert.Equal(absolute, images[0].Path);
        Assert.Equal(absolute, images[0].FullPath);
        Assert.Equal("s1/1.pgm", images[1].Path);
        Assert.Equal(temp.Combine("s1", "1.pgm"), images[1].FullPath);
    }

    [Fact]
    public void The_split_column_is_optional_trimmed_and_empty_means_none()
    {
        string csv = Write("label,split,path", "s1, train ,a.pgm", "s1,,b.pgm", "s2,test,c.pgm", "s2,val,d.pgm");

        IReadOnlyList<LabelledImage> images = ManifestReader.Read(csv);

        Assert.Equal(["a.pgm", "b.pgm", "c.pgm", "d.pgm"], images.Select(i => i.Path));
        Assert.Equal(["train", null, "test", "val"], images.Select(i => i.Split));
    }

    [Fact]
    public void A_utf8_bom_from_excel_does_not_hide_the_path_column()
    {
        string csv = temp.Combine("excel.csv");
        File.WriteAllText(csv, "path,label\nå.pgm,s1\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        LabelledImage image = Assert.Single(ManifestReader.Read(csv));

        Assert.Equal("å.pgm", image.Path);
    }

    [Fact]
    public void Windows_line_endings_and_blank_lines_are_fine()
    {
        string csv = temp.Combine("crlf.csv");
        File.WriteAllText(csv, "path,label\r\na.pgm,s1\r\n\r\nb.pgm,s2\r\n");

        Assert.Equal(["s1", "s2"], ManifestReader.Read(csv).Select(i => i.Label));
    }

    [Fact]
    public void A_missing_column_names_the_expected_header()
    {
        string csv = Write("file,person", "a.pgm,s1");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ManifestReader.Read(csv));

        Assert.Equal($"{csv}: header is 'file,person'; expected 'path,label[,split]'", error.Message);
    }

    [Fact]
    public void An_empty_label_names_its_line_unless_labels_are_optional()
    {
        string csv = Write("path,label", "a.pgm,s1", "b.pgm,  ", "c.pgm,s2");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ManifestReader.Read(csv));

        Assert.Equal($"{csv}:3: empty label for 'b.pgm'", error.Message);
        Assert.Null(ManifestReader.Read(csv, requireLabels: false)[1].Label);
    }

    [Fact]
    public void An_empty_path_names_its_line()
    {
        string csv = Write("path,label", "a.pgm,s1", "a2.pgm,s1", ",s2");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ManifestReader.Read(csv));

        Assert.Equal($"{csv}:4: empty path", error.Message);
    }

    [Fact]
    public void A_path_listed_twice_is_refused_even_when_spelled_differently()
    {
        string csv = Write("path,label", "s1/1.pgm,s1", "s2/1.pgm,s2", "s1/../s1/1.pgm,s1");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ManifestReader.Read(csv));

        Assert.Equal($"{csv}:4: 's1/../s1/1.pgm' is listed twice", error.Message);
    }

    [Fact]
    public void A_missing_manifest_and_an_empty_one_are_refused()
    {
        string missing = temp.Combine("nope.csv");
        Assert.Equal($"{missing}: manifest not found", Assert.Throws<FacePipelineException>(() => ManifestReader.Read(missing)).Message);

        string empty = Write("path,label");
        Assert.Equal($"{empty}: the manifest lists no images", Assert.Throws<FacePipelineException>(() => ManifestReader.Read(empty)).Message);
    }

    [Fact]
    public void Listed_files_need_not_exist_to_be_read()
    {
        // Existence is the extractor's concern: a missing image is skipped and reported there, not a manifest error.
        string csv = Write("path,label", "gone/nowhere.pgm,s1");

        LabelledImage image = Assert.Single(ManifestReader.Read(csv));

        Assert.False(File.Exists(image.FullPath));
    }

    public void Dispose() => temp.Dispose();

    private string Write(params string[] lines)
    {
        string csv = temp.Combine($"manifest-{Guid.NewGuid():N}.csv");
        File.WriteAllText(csv, string.Join('\n', lines) + "\n");
        return csv;
    }
}
