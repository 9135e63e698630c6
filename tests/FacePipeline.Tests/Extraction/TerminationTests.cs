using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>SIGTERM (what Kubernetes and Slurm send before SIGKILL) stops Extract with its computed rows committed.</summary>
public sealed class TerminationTests : IDisposable
{
    private const int People = 20;
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Sigterm_commits_the_rows_computed_exits_143_and_a_rerun_computes_only_the_rest()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"));
        string images = temp.Combine("images");
        string cache = temp.Combine("cache");
        for (int person = 1; person <= People; person++)
        {
            Directory.CreateDirectory(Path.Combine(images, $"s{person}"));
            for (int image = 1; image <= 10; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(images, $"s{person}", $"{image}.pgm"));
            }
        }

        string[] args = ["--images", images, "--out", cache, "--model", model, "--device", "cpu"];
        // Batches of one image keep the run going well after its first progress line.
        using ProgramProcess run = ProgramProcess.Start("Extract", [.. args, "--batch-size", "1"]);
        await run.ErrorLineAsync(l => l.StartsWith("progress: ", StringComparison.Ordinal));
        run.Terminate();
        CliRun stopped = await run.WaitAsync();

        Assert.Equal(ExitCodes.Terminated, stopped.ExitCode);
        Assert.Equal(
            "error: Extract: stopped by a termination signal; work already committed is kept, run the same command again to finish",
            Assert.Single(stopped.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", stopped.Error, StringComparison.Ordinal);
        List<FeatureRow> kept = await CacheRows.ReadAllAsync(cache);
        Assert.InRange(kept.Count, 1, People * 10 - 1);
        Assert.Empty(Directory.GetFiles(cache, ".*.tmp-*"));

        CliRun rerun = await CliRun.Extract(args);

        Assert.Equal(ExitCodes.Success, rerun.ExitCode);
        Assert.Contains($"extract: {People * 10 - kept.Count} new, {kept.Count} cached, 0 removed, 0 failed (", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(People * 10, (await CacheRows.ReadAllAsync(cache)).Count);
    }

    public void Dispose() => temp.Dispose();
}
