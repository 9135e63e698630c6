using System.Text.Json.Nodes;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>
/// head.json records the SHA-256 of every other file of the head folder; a file damaged or edited in place, and a
/// label map with a duplicate or null label, are refused on load with one line.
/// </summary>
public sealed class HeadIntegrityTests : IDisposable
{
    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    private string HeadPath => temp.Combine("head");

    [Fact]
    public async Task Head_json_records_the_sha256_of_every_other_file()
    {
        await TrainAsync();

        JsonObject files = Description()["files"]!.AsObject();

        Assert.Equal(["history.csv", "labels.json", "training-curves.png", "weights.bin"], files.Select(f => f.Key).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.Equal(ContentHash.OfFile(Path.Combine(HeadPath, f.Key)), f.Value!.GetValue<string>()));
        Assert.Equal("2", Description()["format_version"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_weights_file_damaged_in_place_is_refused_with_one_line()
    {
        await TrainAsync();
        string weights = Path.Combine(HeadPath, HeadFolder.WeightsFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(weights, bytes);

        FacePipelineException load = Assert.Throws<FacePipelineException>(() => HeadClassifier.Load(HeadPath));
        CliRun evaluate = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", temp.Combine("report"));

        string expected = $"{weights}: its SHA-256 differs from the one head.json records (damaged or edited since training); restore the head folder or retrain it";
        Assert.Equal(expected, load.Message);
        Assert.Equal(ExitCodes.Failed, evaluate.ExitCode);
        Assert.Equal($"error: {expected}", Assert.Single(evaluate.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", evaluate.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[\"s1\", \"s1\"]", "label 's1' appears twice")]
    [InlineData("[\"s1\", null]", "label 1 is null or empty")]
    [InlineData("[\"s1\", \"\"]", "label 1 is null or empty")]
    public async Task A_label_map_with_a_duplicate_or_null_label_is_refused(string labels, string problem)
    {
        await TrainAsync();
        string labelsPath = Path.Combine(HeadPath, HeadFolder.LabelsFileName);
        File.WriteAllText(labelsPath, labels);
        // Record the edited file's hash, as a careless tool rewriting the folder would: the content itself is refused.
        JsonObject description = Description();
        description["files"]![HeadFolder.LabelsFileName] = ContentHash.OfFile(labelsPath);
        File.WriteAllText(Path.Combine(HeadPath, HeadFolder.DescriptionFileName), description.ToJsonString());

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => HeadClassifier.Load(HeadPath));

        Assert.Equal($"{labelsPath}: {problem}; a label map holds each person once", error.Message);
    }

    [Fact]
    public async Task A_head_without_recorded_hashes_is_refused_as_an_older_format()
    {
        await TrainAsync();
        JsonObject description = Description();
        description.Remove("files");
        description["format_version"] = "1";
        string path = Path.Combine(HeadPath, HeadFolder.DescriptionFileName);
        File.WriteAllText(path, description.ToJsonString());

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => HeadClassifier.Load(HeadPath));

        Assert.Equal($"{path}: head format 1, this tool reads 2; retrain the head", error.Message);
    }

    [Fact]
    public async Task Weights_and_labels_are_read_from_the_file_names_head_json_records()
    {
        await TrainAsync();
        File.Move(Path.Combine(HeadPath, HeadFolder.WeightsFileName), Path.Combine(HeadPath, "renamed-weights.bin"));
        File.Move(Path.Combine(HeadPath, HeadFolder.LabelsFileName), Path.Combine(HeadPath, "renamed-labels.json"));
        JsonObject description = Description();
        description["weights_file"] = "renamed-weights.bin";
        description["labels_file"] = "renamed-labels.json";
        JsonObject files = description["files"]!.AsObject();
        files["renamed-weights.bin"] = files[HeadFolder.WeightsFileName]!.GetValue<string>();
        files["renamed-labels.json"] = files[HeadFolder.LabelsFileName]!.GetValue<string>();
        files.Remove(HeadFolder.WeightsFileName);
        files.Remove(HeadFolder.LabelsFileName);
        File.WriteAllText(Path.Combine(HeadPath, HeadFolder.DescriptionFileName), description.ToJsonString());

        using HeadClassifier head = HeadClassifier.Load(HeadPath);

        Assert.Equal(["s1", "s2"], head.Labels);
        Assert.Equal("renamed-weights.bin", head.Description.WeightsFile);
    }

    public void Dispose() => temp.Dispose();

    private JsonObject Description() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(HeadPath, HeadFolder.DescriptionFileName)))!.AsObject();

    private async Task TrainAsync()
    {
        var rows = new List<FeatureRow>();
        var random = new Random(2);
        for (int i = 0; i < 16; i++)
        {
            int person = 1 + (i % 2);
            rows.Add(HandWrittenPart.Row($"s{person}/{i}.pgm", $"s{person}", Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray()));
        }

        await HandWrittenPart.WriteAsync(Path.Combine(Cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);
        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--epochs", "2", "--head", "mlp");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
    }
}
