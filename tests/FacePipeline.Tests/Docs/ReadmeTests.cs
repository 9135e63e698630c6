using System.Text.RegularExpressions;
using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.EndToEnd;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Docs;

/// <summary>
/// The README documents every option and its examples run as written. The sharded example starts from the ORL
/// fixture's rows (the same images and backbone), so Extract finds them cached instead of running ResNet18 again; the
/// manifest example runs the default backbone (mobilefacenet, a few seconds for ORL).
/// </summary>
[Collection(OrlPipelineCollection.Name)]
public sealed partial class ReadmeTests(OrlPipelineFixture fixture)
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));

    public static TheoryData<string> Programs => new() { "Extract", "Extract verify", "TrainHead", "Predict", "Predict evaluate" };

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Every_option_of_every_program_is_in_the_readme(string program)
    {
        string[] words = program.Split(' ');
        CliRun help = await Run(words[0], [.. words.Skip(1), "--help"]);
        Assert.Equal(ExitCodes.Success, help.ExitCode);
        string[] options = OptionPattern().Matches(help.Out).Select(m => m.Groups[1].Value)
            .Where(o => o is not "--help" and not "--version").Distinct().ToArray();
        Assert.NotEmpty(options);
        Assert.All(options, option => Assert.Contains(option, Readme, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_stage_examples_run_as_written()
    {
        using var temp = new TempFolder();
        await SeedCachesAsync(temp);
        string[] examples = Readme.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("scripts/extract ", StringComparison.Ordinal)
                || line.StartsWith("scripts/train-head ", StringComparison.Ordinal)
                || line.StartsWith("scripts/predict ", StringComparison.Ordinal))
            .ToArray();
        Assert.True(examples.Length >= 8, $"found {examples.Length} examples");
        foreach (string example in examples)
        {
            string[] words = example.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(word => word.StartsWith("data/", StringComparison.Ordinal) ? Path.Combine(TestPaths.RepoRoot, word)
                    : word.StartsWith("runs/example/", StringComparison.Ordinal) ? temp.Combine(word["runs/example/".Length..])
                    : word)
                .ToArray();
            string program = words[0] switch
            {
                "scripts/extract" => "Extract",
                "scripts/train-head" => "TrainHead",
                _ => "Predict",
            };
            CliRun run = await Run(program, words[1..]);
            Assert.True(run.ExitCode == ExitCodes.Success, $"{example} exited {run.ExitCode}: {run.Error}");
        }
    }

    /// <summary>
    /// Puts the fixture's rows where the sharded extract example looks: the rows of shard 0/4 (paths relative to the
    /// image folder, labels from it).
    /// </summary>
    private async Task SeedCachesAsync(TempFolder temp)
    {
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(fixture.Cache);
        var shard = new ShardSpec(0, 4);
        string part = temp.Combine("cache-shard0", FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(shard), "seed", 0));
        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(part, reader.Identity!, ToolInfo.Version);
        foreach (FeatureRow row in await CacheRows.ReadAllAsync(reader))
        {
            string path = row.Path["orl-faces/".Length..];
            if (shard.Contains(path))
            {
                await writer.AddAsync(row with { Path = path, Split = null });
            }
        }

        await writer.CommitAsync();
    }

    private static Task<CliRun> Run(string program, string[] args) => program switch
    {
        "Extract" => CliRun.Extract(args),
        "TrainHead" => CliRun.TrainHead(args),
        _ => CliRun.Predict(args),
    };

    [GeneratedRegex(@"^\s+(?:-\S+, )*(--[a-z0-9-]+)", RegexOptions.Multiline)]
    private static partial Regex OptionPattern();
}
