using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>A person whose only rows are val cannot be learnt: TrainHead says so, with or without balanced weights.</summary>
public sealed class ValidationOnlyLabelTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Theory]
    [InlineData("none")]
    [InlineData("balanced")]
    public async Task A_label_with_only_val_rows_is_refused_with_the_real_reason(string weights)
    {
        string cache = temp.Combine("cache");
        var rows = new List<FeatureRow>();
        var random = new Random(2);
        for (int i = 0; i < 24; i++)
        {
            int person = i % 3;
            string split = person == 2 ? "val" : i < 18 ? "train" : "val";
            FeatureRow row = HandWrittenPart.Row($"s{person}/{i}.pgm", $"s{person}", Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray());
            rows.Add(row with { Split = split });
        }

        await HandWrittenPart.WriteAsync(Path.Combine(cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);

        CliRun run = await CliRun.TrainHead("--features", cache, "--out", temp.Combine("head"), "--epochs", "2", "--class-weights", weights);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal(
            "error: 1 label(s) have only val rows and no row to train on: 's2'; mark some of their rows train (or leave the split empty), or leave them out of the cache",
            Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(temp.Combine("head")));
    }

    public void Dispose() => temp.Dispose();
}
