using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Reporting;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Dataset;

/// <summary>
/// Inputs the way people give them: manifests with backslashes, flat folders of photos, a folder given as FILE, and
/// labels a spreadsheet would run as formulas.
/// </summary>
public sealed class InputShapeTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void A_backslash_path_in_a_manifest_keys_and_opens_the_same_file()
    {
        Directory.CreateDirectory(temp.Combine("images", "s1"));
        File.Copy(TestPaths.OrlImage(1, 1), temp.Combine("images", "s1", "1.pgm"));
        string manifest = temp.Combine("m.csv");
        File.WriteAllText(manifest, "path,label\nimages\\s1\\1.pgm,s1\n");

        LabelledImage image = Assert.Single(ManifestReader.Read(manifest));

        Assert.Equal("images/s1/1.pgm", image.Path);
        Assert.Equal(temp.Combine("images", "s1", "1.pgm"), image.FullPath);
        Assert.True(File.Exists(image.FullPath));
    }

    [Fact]
    public void Both_spellings_of_one_path_in_a_manifest_are_refused()
    {
        Directory.CreateDirectory(temp.Combine("images", "s1"));
        File.Copy(TestPaths.OrlImage(1, 1), temp.Combine("images", "s1", "1.pgm"));
        File.Copy(TestPaths.OrlImage(2, 1), temp.Combine("images\\s1\\1.pgm"));
        string manifest = temp.Combine("m.csv");
        File.WriteAllText(manifest, "path,label\nimages/s1/1.pgm,s1\nimages\\s1\\1.pgm,s2\n");

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => ManifestReader.Read(manifest));

        Assert.Equal($"{manifest}:3: 'images\\s1\\1.pgm' and 'images/s1/1.pgm' name the same image (a backslash separates folders in a manifest); list it once", error.Message);
    }

    [Fact]
    public async Task Predict_takes_a_flat_folder_and_Extract_lists_its_top_level_files_as_skipped()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"));
        string images = temp.Combine("images");
        for (int person = 1; person <= 2; person++)
        {
            Directory.CreateDirectory(Path.Combine(images, $"s{person}"));
            for (int image = 1; image <= 4; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(images, $"s{person}", $"{image}.pgm"));
            }
        }

        File.Copy(TestPaths.OrlImage(1, 9), Path.Combine(images, "loose-1.pgm"));
        File.Copy(TestPaths.OrlImage(2, 9), Path.Combine(images, "loose-2.pgm"));
        File.WriteAllText(Path.Combine(images, "README.md"), "# not an image: left alone, neither skipped nor reported\n");
        string cache = temp.Combine("cache");

        CliRun extract = await CliRun.Extract("--images", images, "--out", cache, "--model", model, "--device", "cpu", "--faces", "none");
        Assert.Equal(ExitCodes.Success, (await CliRun.TrainHead("--features", cache, "--out", temp.Combine("head"), "--epochs", "2")).ExitCode);
        string flat = temp.Combine("flat");
        Directory.CreateDirectory(flat);
        File.Copy(TestPaths.OrlImage(1, 10), Path.Combine(flat, "a.pgm"));
        File.Copy(TestPaths.OrlImage(2, 10), Path.Combine(flat, "b.pgm"));
        File.WriteAllText(Path.Combine(flat, "notes.txt"), "not an image\n");
        string predictions = temp.Combine("predictions.csv");
        CliRun predict = await CliRun.Predict("--head", temp.Combine("head"), "--images", flat, "--model", model, "--device", "cpu", "--out", predictions);

        Assert.Equal(ExitCodes.Success, extract.ExitCode);
        Assert.Contains($"extract: skipping 2 file(s) at the top level of {images}: a file needs a person folder for its label; they are listed in errors.csv", extract.ErrorLines);
        Assert.Equal(8, (await CacheRows.ReadAllAsync(cache)).Count);
        string[] errors = File.ReadAllLines(Path.Combine(cache, "errors.csv"));
        Assert.Equal(["loose-1.pgm", "loose-2.pgm"], errors.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(ExitCodes.Success, predict.ExitCode);
        Assert.Equal(["a.pgm", "b.pgm"], File.ReadAllLines(predictions).Skip(1).Select(l => l.Split(',')[0]));
        Assert.Contains($"predict: 2 image(s) read, 2 face(s) predicted, 0 image(s) without a face, 0 failed; written to {predictions}", predict.ErrorLines);
    }

    [Fact]
    public async Task A_folder_given_as_FILE_is_named_a_folder()
    {
        Directory.CreateDirectory(temp.Combine("photos"));

        CliRun run = await CliRun.Predict("--head", temp.Path, temp.Combine("photos"));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal($"error: {temp.Combine("photos")}: is a folder, not a file (image); give a file, or the folder with --images", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Labels_a_spreadsheet_would_run_are_escaped_in_every_csv_and_numbers_stay_numbers()
    {
        string path = temp.Combine("t.csv");
        CsvTable.Write(path, ["label", "x"], [["=HYPERLINK(\"http://x\")", "-3.5"], ["+1", "-2"], ["@sum", "4"], ["-cmd", "-0"]]);

        Assert.Equal(
            ["label,x", "\"'=HYPERLINK(\"\"http://x\"\")\",-3.5", "\"'+1\",-2", "\"'@sum\",4", "\"'-cmd\",-0"],
            File.ReadAllLines(path));

        string cache = temp.Combine("cache");
        var rows = new List<FeatureRow>();
        var random = new Random(2);
        string[] labels = ["=cmd", "s2"];
        for (int i = 0; i < 16; i++)
        {
            int person = i % 2;
            rows.Add(HandWrittenPart.Row($"p{person}/{i}.pgm", labels[person], Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray()));
        }

        await HandWrittenPart.WriteAsync(Path.Combine(cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);
        Assert.Equal(ExitCodes.Success, (await CliRun.TrainHead("--features", cache, "--out", temp.Combine("head"), "--epochs", "2")).ExitCode);
        CliRun evaluate = await CliRun.Predict("evaluate", "--head", temp.Combine("head"), "--features", cache, "--out", temp.Combine("report"));

        Assert.Equal(ExitCodes.Success, evaluate.ExitCode);
        Assert.StartsWith("\"'=cmd\",", File.ReadAllLines(temp.Combine("report", "per-class.csv"))[1], StringComparison.Ordinal);
        Assert.Contains(",\"'=cmd\"", File.ReadAllLines(temp.Combine("report", "confusion.csv"))[0], StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();
}
