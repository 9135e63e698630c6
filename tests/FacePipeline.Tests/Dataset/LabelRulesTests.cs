using System.Text;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Dataset;

/// <summary>
/// Labels enter through one rule: NFC-normalised everywhere, the sentinels 'no face' and 'unknown' refused, labels that
/// differ only by case warned about.
/// </summary>
public sealed class LabelRulesTests : IDisposable
{
    private static readonly string JoseNfc = "Jos\u00e9";
    private static readonly string JoseNfd = "Jose\u0301";
    private readonly TempFolder temp = new();

    [Theory]
    [InlineData("no face")]
    [InlineData("No Face")]
    [InlineData("unknown")]
    public void A_reserved_label_is_refused_in_a_folder_and_a_manifest(string label)
    {
        string images = temp.Combine("images");
        Directory.CreateDirectory(Path.Combine(images, label));
        File.Copy(TestPaths.OrlImage(1, 1), Path.Combine(images, label, "1.pgm"));
        string manifest = temp.Combine("m.csv");
        File.WriteAllText(manifest, $"path,label\nimages/{label}/1.pgm,{label}\n");

        FacePipelineException folder = Assert.Throws<FacePipelineException>(() => ImageFolderReader.Read(images));
        FacePipelineException listed = Assert.Throws<FacePipelineException>(() => ManifestReader.Read(manifest));

        Assert.StartsWith($"{Path.Combine(images, label)}: label '{label}' is reserved (Predict writes '", folder.Message, StringComparison.Ordinal);
        Assert.EndsWith("; rename the folder", folder.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{manifest}:2: label '{label}' is reserved", listed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cache_with_the_no_face_label_is_refused_by_TrainHead()
    {
        string cache = temp.Combine("cache");
        await WriteCacheAsync(cache, "no face", "s2");

        CliRun run = await CliRun.TrainHead("--features", cache, "--out", temp.Combine("head"), "--epochs", "1");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains(
            "label 'no face' is reserved (Predict writes 'no face' for an image without a face); rename the person and re-run Extract into a new --out",
            Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("head")));
    }

    [Fact]
    public void Nfc_and_nfd_spellings_are_one_person_in_a_manifest_and_a_folder()
    {
        string images = temp.Combine("images");
        Directory.CreateDirectory(Path.Combine(images, JoseNfd));
        File.Copy(TestPaths.OrlImage(1, 1), Path.Combine(images, JoseNfd, "1.pgm"));
        File.Copy(TestPaths.OrlImage(1, 2), temp.Combine("2.pgm"));
        string manifest = temp.Combine("m.csv");
        File.WriteAllText(manifest, $"path,label\nimages/{JoseNfd}/1.pgm,{JoseNfd}\n2.pgm,{JoseNfc}\n", Encoding.UTF8);

        Assert.Equal([JoseNfc], ImageFolderReader.Read(images).Select(i => i.Label));
        Assert.Equal([JoseNfc, JoseNfc], ManifestReader.Read(manifest).Select(i => i.Label));
    }

    [Fact]
    public async Task A_cache_with_nfd_and_nfc_rows_trains_one_person_and_case_twins_are_warned_about()
    {
        string cache = temp.Combine("cache");
        await WriteCacheAsync(cache, JoseNfc, JoseNfd, "Ann", "ann");

        CliRun run = await CliRun.TrainHead("--features", cache, "--out", temp.Combine("head"), "--epochs", "1");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("warning: labels 'Ann', 'ann' differ only by case and count as different people; rename one if they are the same person", run.ErrorLines);
        using HeadClassifier head = HeadClassifier.Load(temp.Combine("head"));
        Assert.Equal(["Ann", JoseNfc, "ann"], head.Labels.Order(StringComparer.Ordinal));
    }

    public void Dispose() => temp.Dispose();

    private static async Task WriteCacheAsync(string cache, params string[] labels)
    {
        var rows = new List<FeatureRow>();
        var random = new Random(2);
        for (int i = 0; i < 8 * labels.Length; i++)
        {
            int person = i % labels.Length;
            rows.Add(HandWrittenPart.Row($"p{person}/{i}.pgm", labels[person], Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray()));
        }

        await HandWrittenPart.WriteAsync(Path.Combine(cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);
    }
}
