using FacePipeline.Cli;
using FacePipeline.Tests.TestSupport;
using Xunit;

// Not FacePipeline.Tests.Cli: that namespace would hide FacePipeline.Cli from TestSupport/CliRun.cs.
namespace FacePipeline.Tests.CommandLine;

/// <summary>Each program's exit codes and one-line errors for the usual mistakes, and its help.</summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Extract_without_arguments_asks_for_out()
    {
        CliRun run = await CliRun.Extract();

        AssertUsage(run, "error: Option '--out' is required.");
    }

    [Fact]
    public async Task Extract_with_an_unknown_option_is_a_usage_error()
    {
        CliRun run = await CliRun.Extract("--out", temp.Combine("c"), "--images", TestPaths.OrlFaces, "--bogus");

        AssertUsage(run, "error: Unrecognized command or argument '--bogus'.");
    }

    [Fact]
    public async Task Extract_from_a_missing_folder_names_it()
    {
        CliRun run = await CliRun.Extract("--images", "/nonexistent", "--out", temp.Combine("c"));

        AssertUsage(run, "error: /nonexistent: image folder not found");
        Assert.False(Directory.Exists(temp.Combine("c")), "nothing is created on a usage error");
    }

    [Fact]
    public async Task Extract_from_a_missing_manifest_names_it()
    {
        CliRun run = await CliRun.Extract("--manifest", "/nonexistent.csv", "--out", temp.Combine("c"));

        AssertUsage(run, "error: /nonexistent.csv: manifest not found");
    }

    [Fact]
    public async Task Extract_with_both_images_and_manifest_is_a_usage_error()
    {
        string manifest = temp.Combine("m.csv");
        File.WriteAllText(manifest, "path,label\n");

        CliRun run = await CliRun.Extract("--images", TestPaths.OrlFaces, "--manifest", manifest, "--out", temp.Combine("c"));

        AssertUsage(run, "error: give exactly one of --images DIR or --manifest CSV");
    }

    [Theory]
    [InlineData("--batch-size", "0", "error: --batch-size must be at least 1")]
    [InlineData("--batch-size", "many", "error: --batch-size: 'many' is not a whole number")]
    [InlineData("--faces", "maybe", "error: --faces: 'maybe' is not one of auto, detect, none")]
    [InlineData("--shard-count", "two", "error: --shard-count: 'two' is not a whole number")]
    [InlineData("--shard", "5/3", "error: '5/3' is not a shard; use K/N with 0 <= K < N (e.g. 0/4)")]
    [InlineData("--device", "gpu", "error: 'gpu' is not a device; use auto, cpu, cuda or cuda:N")]
    public async Task Extract_refuses_malformed_values(string option, string value, string expected)
    {
        CliRun run = await CliRun.Extract("--images", TestPaths.OrlFaces, "--out", temp.Combine("c"), option, value);

        AssertUsage(run, expected);
    }

    [Fact]
    public async Task Extract_with_an_unknown_model_name_fails_with_one_line()
    {
        CliRun run = await CliRun.Extract("--images", TestPaths.OrlFaces, "--out", temp.Combine("c"), "--model", "nosuch");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: nosuch: no such backbone in ", line, StringComparison.Ordinal);
        Assert.EndsWith("; known names: resnet18, mobilefacenet, vgg16-notop; or pass a path to an .onnx file with its .json description", line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Extract_with_a_model_file_without_description_fails_with_one_line()
    {
        string onnx = temp.Combine("lonely.onnx");
        File.WriteAllBytes(onnx, [0]);

        CliRun run = await CliRun.Extract("--images", TestPaths.OrlFaces, "--out", temp.Combine("c"), "--model", onnx);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal($"error: {onnx}: no backbone description lonely.json beside it; write one (see models/README.md)", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task TrainHead_on_a_missing_cache_is_a_usage_error()
    {
        CliRun run = await CliRun.TrainHead("--features", "/nonexistent-cache", "--out", temp.Combine("head"));

        AssertUsage(run, "error: /nonexistent-cache: feature cache not found");
    }

    [Fact]
    public async Task TrainHead_on_an_empty_cache_fails_with_one_line()
    {
        Directory.CreateDirectory(temp.Combine("empty"));

        CliRun run = await CliRun.TrainHead("--features", temp.Combine("empty"), "--out", temp.Combine("head"));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal($"error: {temp.Combine("empty")}: the cache holds no rows; run Extract first", run.ErrorLines[^1]);
        Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.False(Directory.Exists(temp.Combine("head")));
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task TrainHead_will_not_replace_an_existing_head_without_overwrite()
    {
        Directory.CreateDirectory(temp.Combine("cache"));
        string head = temp.Combine("head");
        Directory.CreateDirectory(head);
        File.WriteAllText(Path.Combine(head, "keep.txt"), "precious");

        CliRun run = await CliRun.TrainHead("--features", temp.Combine("cache"), "--out", head);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal($"error: {head}: already exists; choose another --out or pass --overwrite to replace it", Assert.Single(run.ErrorLines));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(head).Select(Path.GetFileName));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(head, "keep.txt")));
        Assert.Equal(["cache", "head"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("--val-split", "1", "error: --val-split must be at least 0 and below 1")]
    [InlineData("--epochs", "0", "error: --epochs must be at least 1")]
    [InlineData("--lr", "0", "error: --lr must be positive")]
    [InlineData("--dropout", "1", "error: --dropout must be at least 0 and below 1")]
    [InlineData("--patience", "-1", "error: --patience must be 0 or more")]
    [InlineData("--device", "gpu", "error: --device 'gpu' is not a training device; use cpu, cuda or cuda:N")]
    [InlineData("--class-weights", "heavy", "error: --class-weights: 'heavy' is not one of none, balanced")]
    [InlineData("--class-weights", "1", "error: --class-weights: '1' is not one of none, balanced")]
    [InlineData("--streaming", "sometimes", "error: --streaming: 'sometimes' is not one of auto, always, never")]
    [InlineData("--epochs", "ten", "error: --epochs: 'ten' is not a whole number")]
    [InlineData("--lr", "fast", "error: --lr: 'fast' is not a number")]
    [InlineData("--dropout", "NaN", "error: --dropout: 'NaN' is not a number")]
    public async Task TrainHead_refuses_out_of_range_options(string option, string value, string expected)
    {
        CliRun run = await CliRun.TrainHead("--features", temp.Path, "--out", temp.Combine("head"), option, value);

        AssertUsage(run, expected);
    }

    [Fact]
    public async Task Predict_with_a_missing_head_is_a_usage_error()
    {
        CliRun run = await CliRun.Predict("--head", "/nonexistent-head", TestPaths.OrlImage(1, 1));

        AssertUsage(run, "error: /nonexistent-head: head folder not found");
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task Predict_with_a_missing_image_is_a_usage_error()
    {
        CliRun run = await CliRun.Predict("--head", temp.Path, "/nonexistent.png");

        AssertUsage(run, "error: /nonexistent.png: image not found");
    }

    [Fact]
    public async Task Predict_with_files_and_a_folder_is_a_usage_error()
    {
        CliRun run = await CliRun.Predict("--head", temp.Path, "--images", TestPaths.OrlFaces, TestPaths.OrlImage(1, 1));

        AssertUsage(run, "error: give image FILEs or --images/--manifest, not both");
    }

    [Fact]
    public async Task Predict_in_a_folder_that_is_not_a_head_fails_with_one_line()
    {
        CliRun run = await CliRun.Predict("--head", temp.Path, TestPaths.OrlImage(1, 1));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal($"error: {temp.Path}: not a head folder (head.json missing); train one with TrainHead", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Evaluate_without_a_source_is_a_usage_error()
    {
        CliRun run = await CliRun.Predict("evaluate", "--head", temp.Path, "--out", temp.Combine("report"));

        AssertUsage(run, "error: give exactly one of --features CACHE_DIR, --images DIR or --manifest CSV");
        Assert.False(Directory.Exists(temp.Combine("report")));
    }

    [Theory]
    [InlineData("1.5", "error: --min-accuracy must be between 0 and 1")]
    [InlineData("-0.1", "error: --min-accuracy must be between 0 and 1")]
    [InlineData("0,9", "error: --min-accuracy: '0,9' is not a number")]
    public async Task Evaluate_refuses_a_bar_outside_0_to_1(string bar, string expected)
    {
        CliRun run = await CliRun.Predict("evaluate", "--head", temp.Path, "--features", temp.Path, "--out", temp.Combine("report"), "--min-accuracy", bar);

        AssertUsage(run, expected);
    }

    [Fact]
    public async Task Extract_help_states_every_default()
    {
        CliRun run = await CliRun.Extract("--help");

        AssertHelp(run, "--model", "--device", "--batch-size", "--shard", "--strict", "--rebuild");
        Assert.Contains("[default: 32]", HelpLine(run, "--batch-size"), StringComparison.Ordinal);
        Assert.Contains("[default: auto]", HelpLine(run, "--device"), StringComparison.Ordinal);
        Assert.Contains("[default: 0/1", HelpLine(run, "--shard"), StringComparison.Ordinal);
        Assert.Contains("(REQUIRED)", HelpLine(run, "--out"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainHead_help_states_every_default()
    {
        CliRun run = await CliRun.TrainHead("--help");

        AssertHelp(run, "--epochs", "--batch-size", "--lr", "--val-split", "--seed", "--class-weights", "--dropout", "--patience", "--no-standardize", "--device", "--overwrite");
        Assert.Contains("[default: 20]", HelpLine(run, "--epochs"), StringComparison.Ordinal);
        Assert.Contains("[default: 0.001]", HelpLine(run, "--lr"), StringComparison.Ordinal);
        Assert.Contains("[default: 0.15]", HelpLine(run, "--val-split"), StringComparison.Ordinal);
        Assert.Contains("[default: 42]", HelpLine(run, "--seed"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_and_evaluate_help_state_every_default()
    {
        CliRun predict = await CliRun.Predict("--help");
        CliRun evaluate = await CliRun.Predict("evaluate", "--help");

        AssertHelp(predict, "--top-k", "--unknown-threshold", "--model", "--device", "--batch-size", "--strict");
        Assert.Contains("[default: 3]", HelpLine(predict, "--top-k"), StringComparison.Ordinal);
        AssertHelp(evaluate, "--split", "--min-accuracy", "--top-k", "--model", "--device", "--batch-size");
        Assert.Contains("[default: 5]", HelpLine(evaluate, "--top-k"), StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();

    private static void AssertUsage(CliRun run, string expectedError)
    {
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        string[] errors = run.ErrorLines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.Equal([expectedError], errors);
        Assert.All(run.ErrorLines, l => Assert.True(l.StartsWith("error: ", StringComparison.Ordinal) || l.StartsWith("run '", StringComparison.Ordinal), $"unexpected line: {l}"));
        AssertNoStackTrace(run);
    }

    private static void AssertNoStackTrace(CliRun run)
    {
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.Error, StringComparison.Ordinal);
    }

    private static void AssertHelp(CliRun run, params string[] optionsWithDefaults)
    {
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("Options:", run.Out, StringComparison.Ordinal);
        Assert.Empty(run.Error);
        foreach (string option in optionsWithDefaults)
        {
            Assert.Contains("[default:", HelpLine(run, option), StringComparison.Ordinal);
        }
    }

    /// <summary>The help line of <paramref name="option"/> (its description stays on one line in a captured writer).</summary>
    private static string HelpLine(CliRun run, string option) =>
        Assert.Single(run.Out.Split('\n'), l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
}
