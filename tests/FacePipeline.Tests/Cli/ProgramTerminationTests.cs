using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

// Not FacePipeline.Tests.Cli: that namespace would hide FacePipeline.Cli from TestSupport/CliRun.cs.
namespace FacePipeline.Tests.CommandLine;

/// <summary>TrainHead and Predict stop on SIGTERM and SIGINT like Extract (<see cref="CommandRunner.MainAsync"/>): one line, exit 143 or 130, nothing half-written.</summary>
public sealed class ProgramTerminationTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public async Task TrainHead_stops_on_sigterm_with_one_line_exit_143_and_no_head()
    {
        string cache = temp.Combine("cache");
        await WriteCacheAsync(cache);
        string head = temp.Combine("head");

        using ProgramProcess run = ProgramProcess.Start("TrainHead", "--features", cache, "--out", head, "--epochs", "100000");
        await run.ErrorLineAsync(l => l.StartsWith("epoch 1/", StringComparison.Ordinal));
        run.Terminate();
        CliRun stopped = await run.WaitAsync();

        AssertStopped(stopped, "TrainHead");
        Assert.Equal(["cache"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task TrainHead_stops_on_sigint_like_every_program_with_exit_130()
    {
        string cache = temp.Combine("cache");
        await WriteCacheAsync(cache);

        using ProgramProcess run = ProgramProcess.Start("TrainHead", "--features", cache, "--out", temp.Combine("head"), "--epochs", "100000");
        await run.ErrorLineAsync(l => l.StartsWith("epoch 1/", StringComparison.Ordinal));
        run.Interrupt();
        CliRun stopped = await run.WaitAsync();

        Assert.Equal(ExitCodes.Interrupted, stopped.ExitCode);
        Assert.Equal(
            "error: TrainHead: stopped by a termination signal; work already committed is kept, run the same command again to finish",
            Assert.Single(stopped.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.Equal(["cache"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Predict_stops_on_sigterm_with_one_line_and_exit_143()
    {
        string model = FixtureBackbone.Write(temp.Combine("models"));
        string images = temp.Combine("images");
        for (int person = 1; person <= 10; person++)
        {
            Directory.CreateDirectory(Path.Combine(images, $"s{person}"));
            for (int image = 1; image <= 10; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(images, $"s{person}", $"{image}.pgm"));
            }
        }

        Assert.Equal(ExitCodes.Success, (await CliRun.Extract("--images", images, "--out", temp.Combine("cache"), "--model", model, "--device", "cpu")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await CliRun.TrainHead("--features", temp.Combine("cache"), "--out", temp.Combine("head"), "--epochs", "2")).ExitCode);
        string predictions = temp.Combine("predictions.csv");

        using ProgramProcess run = ProgramProcess.Start(
            "Predict", "--head", temp.Combine("head"), "--images", images, "--model", model, "--device", "cpu", "--batch-size", "1", "--out", predictions);
        await run.ErrorLineAsync(l => l.StartsWith("progress: ", StringComparison.Ordinal));
        run.Terminate();
        CliRun stopped = await run.WaitAsync();

        AssertStopped(stopped, "Predict");
        Assert.False(File.Exists(predictions));
    }

    public void Dispose() => temp.Dispose();

    private static void AssertStopped(CliRun stopped, string program)
    {
        Assert.Equal(ExitCodes.Terminated, stopped.ExitCode);
        Assert.Equal(
            $"error: {program}: stopped by a termination signal; work already committed is kept, run the same command again to finish",
            Assert.Single(stopped.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", stopped.Error, StringComparison.Ordinal);
    }

    private static async Task WriteCacheAsync(string cache)
    {
        var rows = new List<FeatureRow>();
        var random = new Random(2);
        for (int i = 0; i < 64; i++)
        {
            int person = 1 + (i % 2);
            rows.Add(HandWrittenPart.Row($"s{person}/{i}.pgm", $"s{person}", Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray()));
        }

        await HandWrittenPart.WriteAsync(Path.Combine(cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);
    }
}
