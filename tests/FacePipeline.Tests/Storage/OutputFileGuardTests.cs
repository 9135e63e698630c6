using FacePipeline.Cli;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Storage;

/// <summary>
/// <c>Predict --out FILE</c> never writes over an input of the run (the manifest, an image, through a symbolic link
/// too) nor inside the head folder, and is never a folder: one line, exit 1, before any prediction, and the input
/// survives byte for byte. A file of nobody's, its own earlier output included, is replaced as before.
/// </summary>
public sealed class OutputFileGuardTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Predict_out_an_input_or_inside_the_head_keeps_it()
    {
        (string model, string head) = await TrainAsync();
        string images = temp.Combine("images");
        string manifest = temp.Combine("m.csv");
        string manifestText = "path,label\nimages/s1/1.pgm,s1\nimages/s2/1.pgm,s2\n";
        File.WriteAllText(manifest, manifestText);
        string image = Path.Combine(images, "s1", "1.pgm");
        byte[] imageBytes = File.ReadAllBytes(image);
        string link = temp.Combine("link.pgm");
        File.CreateSymbolicLink(link, image);
        string[] headFiles = Directory.GetFiles(head);
        string[] common = ["--head", head, "--model", model, "--device", "cpu"];

        CliRun onManifest = await CliRun.Predict([.. common, "--manifest", manifest, "--out", manifest]);
        CliRun onLinkedImage = await CliRun.Predict([.. common, image, "--out", link]);
        CliRun inHead = await CliRun.Predict([.. common, image, "--out", Path.Combine(head, "predictions.csv")]);
        CliRun onFolder = await CliRun.Predict([.. common, image, "--out", images]);

        Assert.Equal(ExitCodes.Failed, onManifest.ExitCode);
        Assert.Equal($"error: {manifest}: is the manifest this run reads ({manifest}), which the output would replace; choose another file for --out", Assert.Single(onManifest.ErrorLines));
        Assert.Equal(manifestText, File.ReadAllText(manifest));
        Assert.Equal(ExitCodes.Failed, onLinkedImage.ExitCode);
        Assert.Equal($"error: {link}: is the image this run reads ({image}), which the output would replace; choose another file for --out", Assert.Single(onLinkedImage.ErrorLines));
        Assert.Equal(imageBytes, File.ReadAllBytes(image));
        Assert.Equal(ExitCodes.Failed, inHead.ExitCode);
        Assert.StartsWith($"error: {Path.Combine(head, "predictions.csv")}: is inside the head folder this run reads", Assert.Single(inHead.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(headFiles, Directory.GetFiles(head));
        Assert.Equal(ExitCodes.Failed, onFolder.ExitCode);
        Assert.Equal($"error: {images}: is a folder, not a file; choose another file for --out", Assert.Single(onFolder.ErrorLines));
    }

    [Fact]
    public async Task Predict_out_the_errors_file_of_an_input_is_refused_and_its_own_output_replaced()
    {
        (string model, string head) = await TrainAsync();
        string image = temp.Combine("images", "s1", "1.pgm");
        string manifest = temp.Combine("p.errors.csv");
        File.WriteAllText(manifest, "path,label\nimages/s1/1.pgm,s1\n");
        string predictions = temp.Combine("p.csv");
        string[] common = ["--head", head, "--model", model, "--device", "cpu", "--manifest", manifest];

        CliRun beside = await CliRun.Predict([.. common, "--out", predictions]);
        CliRun own = await CliRun.Predict(["--head", head, "--model", model, "--device", "cpu", image, "--out", temp.Combine("q.csv")]);
        CliRun again = await CliRun.Predict(["--head", head, "--model", model, "--device", "cpu", image, "--out", temp.Combine("q.csv")]);

        Assert.Equal(ExitCodes.Failed, beside.ExitCode);
        Assert.Equal($"error: {manifest}: is the manifest this run reads ({manifest}), which the output would replace; choose another file for --out", Assert.Single(beside.ErrorLines));
        Assert.Equal("path,label\nimages/s1/1.pgm,s1\n", File.ReadAllText(manifest));
        Assert.Equal(ExitCodes.Success, own.ExitCode);
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(2, File.ReadAllLines(temp.Combine("q.csv")).Length);
    }

    public void Dispose() => temp.Dispose();

    /// <summary>A head on the fixture backbone (whole images) from 2 ORL people × 4 photos copied under images/.</summary>
    private async Task<(string Model, string Head)> TrainAsync()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"));
        for (int person = 1; person <= 2; person++)
        {
            Directory.CreateDirectory(temp.Combine("images", $"s{person}"));
            for (int image = 1; image <= 4; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), temp.Combine("images", $"s{person}", $"{image}.pgm"));
            }
        }

        string cache = temp.Combine("cache");
        CliRun extract = await CliRun.Extract("--images", temp.Combine("images"), "--out", cache, "--model", model, "--device", "cpu", "--faces", "none");
        Assert.Equal(ExitCodes.Success, extract.ExitCode);
        string head = temp.Combine("head");
        Assert.Equal(ExitCodes.Success, (await CliRun.TrainHead("--features", cache, "--out", head, "--epochs", "2")).ExitCode);
        return (model, head);
    }
}
