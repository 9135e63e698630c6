using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Storage;

/// <summary>
/// A run replaces an output folder only when it is one of ours of the same kind; the working directory, the run's
/// inputs and any folder holding them survive, with one line and exit 1.
/// </summary>
public sealed class OutputFolderGuardTests : IDisposable
{
    private const string Sentinel = "sentinel.txt";
    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    private string HeadPath => temp.Combine("head");

    [Fact]
    public async Task Evaluate_out_dot_keeps_the_working_directory()
    {
        await TrainAsync();
        string work = temp.Combine("work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, Sentinel), "precious");

        using ProgramProcess run = ProgramProcess.StartIn(work, "Predict", "evaluate", "--head", HeadPath, "--features", Cache, "--out", ".");
        CliRun done = await run.WaitAsync();

        Assert.Equal(ExitCodes.Failed, done.ExitCode);
        Assert.Equal("error: .: is the working directory, which a report folder would replace; choose a new folder for --out", Assert.Single(done.ErrorLines));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(work, Sentinel)));
    }

    [Fact]
    public async Task Evaluate_out_the_cache_keeps_the_cache()
    {
        await TrainAsync();
        File.WriteAllText(Path.Combine(Cache, Sentinel), "precious");

        CliRun run = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", Cache);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal(
            $"error: {Cache}: is the labelled set this run reads ({Cache}), which a report folder would replace; choose a new folder for --out",
            Assert.Single(run.ErrorLines));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(Cache, Sentinel)));
        Assert.Equal(16, (await CacheRows.ReadAllAsync(Cache)).Count);
    }

    [Fact]
    public async Task Evaluate_out_the_head_or_its_parent_keeps_the_head()
    {
        await TrainAsync();
        File.WriteAllText(Path.Combine(HeadPath, Sentinel), "precious");

        CliRun onHead = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", HeadPath);
        CliRun onParent = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", temp.Path);

        Assert.Equal(ExitCodes.Failed, onHead.ExitCode);
        Assert.Equal(
            $"error: {HeadPath}: is the head folder this run reads ({HeadPath}), which a report folder would replace; choose a new folder for --out",
            Assert.Single(onHead.ErrorLines));
        Assert.Equal(ExitCodes.Failed, onParent.ExitCode);
        Assert.StartsWith($"error: {temp.Path}: holds the head folder this run reads", Assert.Single(onParent.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(HeadPath, Sentinel)));
        Assert.True(File.Exists(Path.Combine(HeadPath, "head.json")));
    }

    [Fact]
    public async Task Evaluate_replaces_its_own_report_but_not_a_foreign_folder()
    {
        await TrainAsync();
        string report = temp.Combine("report");
        string foreign = temp.Combine("foreign");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, Sentinel), "precious");

        CliRun first = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", report);
        CliRun again = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", report);
        CliRun onForeign = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", foreign);

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(ExitCodes.Failed, onForeign.ExitCode);
        Assert.Equal(
            $"error: {foreign}: exists and is not a report folder (no metrics.json of ours in it), so it is not replaced; choose a new folder for --out, or empty or remove this one yourself",
            Assert.Single(onForeign.ErrorLines));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(foreign, Sentinel)));
    }

    [Fact]
    public async Task TrainHead_overwrite_onto_the_cache_or_a_foreign_folder_keeps_it()
    {
        await TrainAsync();
        File.WriteAllText(Path.Combine(Cache, Sentinel), "precious");
        string foreign = temp.Combine("foreign");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, Sentinel), "precious");

        CliRun onCache = await CliRun.TrainHead("--features", Cache, "--out", Cache, "--overwrite", "--epochs", "1");
        CliRun onForeign = await CliRun.TrainHead("--features", Cache, "--out", foreign, "--overwrite", "--epochs", "1");
        CliRun onHead = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--overwrite", "--epochs", "1");

        Assert.Equal(ExitCodes.Failed, onCache.ExitCode);
        Assert.Equal(
            $"error: {Cache}: is the feature cache this run reads ({Cache}), which a head folder would replace; choose a new folder for --out",
            Assert.Single(onCache.ErrorLines));
        Assert.Equal(ExitCodes.Failed, onForeign.ExitCode);
        Assert.StartsWith($"error: {foreign}: exists and is not a head folder (no head.json of ours in it)", Assert.Single(onForeign.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, onHead.ExitCode);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(Cache, Sentinel)));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(foreign, Sentinel)));
        Assert.Equal(16, (await CacheRows.ReadAllAsync(Cache)).Count);
    }

    [Fact]
    public async Task A_symbolic_link_to_the_cache_is_the_cache()
    {
        await TrainAsync();
        string link = temp.Combine("link");
        Directory.CreateSymbolicLink(link, Cache);

        CliRun run = await CliRun.Predict("evaluate", "--head", HeadPath, "--features", Cache, "--out", link);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.StartsWith($"error: {link}: is the labelled set this run reads", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(16, (await CacheRows.ReadAllAsync(Cache)).Count);
    }

    public void Dispose() => temp.Dispose();

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
        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", HeadPath, "--epochs", "2");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
    }
}
