using System.Text.Json;
using System.Text.RegularExpressions;
using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Deploy;

/// <summary>
/// <c>deploy/slurm/pipeline.sh</c> submitted to a real Slurm (a private single-node cluster, see
/// <see cref="PrivateSlurmCluster"/>): the extraction array, verify and TrainHead run as Slurm jobs with the programs of
/// this test build, on a CPU-only node.
/// </summary>
public sealed partial class SlurmPipelineTests : IClassFixture<PrivateSlurmCluster>
{
    /// <summary>The ORL-7/3 bar with ResNet18, as in <c>OrlPipelineTests</c> (measured there; peers 0.967–0.975).</summary>
    private const double TestAccuracyBar = 0.975;

    // A guard against a hung chain, not a timing assertion: the whole suite shares the machine with these jobs.
    private static readonly TimeSpan ChainTimeout = TimeSpan.FromMinutes(10);
    private static readonly string Pipeline = Path.Combine(TestPaths.RepoRoot, "deploy", "slurm", "pipeline.sh");

    private readonly PrivateSlurmCluster cluster;

    public SlurmPipelineTests(PrivateSlurmCluster cluster)
    {
        this.cluster = cluster;
    }

    [SlurmFact]
    public async Task The_array_verify_and_train_head_chain_completes_on_slurm_and_the_head_reaches_the_orl_bar()
    {
        cluster.EnsureStarted();
        string work = cluster.Temp.Combine("orl");
        string cache = Path.Combine(work, "cache");
        string head = Path.Combine(work, "head");
        string logs = Path.Combine(work, "logs");

        (string extract, string verify, string train) = Submit(
            Environment(),
            "--shards", "4", "--parallel", "2", "--manifest", Path.Combine(TestPaths.RepoRoot, "data", "orl-7-3.csv"), "--cache", cache, "--head", head,
            "--model", "resnet18", "--cpus", "1", "--mem", "1G", "--time", "20", "--train-cpus", "2", "--logs", logs);
        Dictionary<string, (string State, string Reason)> states = cluster.WaitForJobs(ChainTimeout, extract, verify, train);

        Assert.Equal(
            new[] { $"{extract}_0", $"{extract}_1", $"{extract}_2", $"{extract}_3", verify, train }.Order(StringComparer.Ordinal),
            states.Keys.Order(StringComparer.Ordinal));
        Assert.All(states, s => Assert.True(s.Value.State == "COMPLETED", $"{s.Key}: {s.Value.State} ({s.Value.Reason}); {Logs(logs)}"));
        Dictionary<string, string> task = cluster.Job($"{extract}_0").Single().Value;
        Assert.Equal(("1G", "1", "00:20:00"), (task["MinMemoryNode"], task["MinCPUsNode"], task["TimeLimit"]));
        for (int k = 0; k < 4; k++)
        {
            // Extract took its index from SLURM_ARRAY_TASK_ID (--shard auto) and wrote that shard's parts only.
            Assert.Contains($"shard {k}/4", File.ReadAllText(Path.Combine(logs, $"facepipeline-extract-{extract}_{k}.log")), StringComparison.Ordinal);
            Assert.Single(Directory.GetFiles(cache, $"part-shard{k}of4-*.parquet"));
        }

        string verifyLog = File.ReadAllText(Path.Combine(logs, $"facepipeline-verify-{verify}.log"));
        Assert.StartsWith("verify: consistent: 4 parts, 400 rows, ", verifyLog, StringComparison.Ordinal);
        (HeadDescription description, _) = HeadFolder.ReadDescription(head);
        Assert.Equal(280, description.Counts.Train + description.Counts.Validation);
        CliRun evaluate = await CliRun.Predict("evaluate", "--head", head, "--features", cache, "--split", "test", "--out", Path.Combine(work, "report"));
        Assert.Equal(ExitCodes.Success, evaluate.ExitCode);
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "report", "metrics.json")));
        Assert.Equal(120, metrics.RootElement.GetProperty("count").GetInt32());
        double accuracy = metrics.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= TestAccuracyBar, $"ORL-7/3 test accuracy {accuracy} below {TestAccuracyBar}");
    }

    [SlurmFact]
    public async Task A_failed_task_cancels_the_chain_and_resubmitting_only_its_index_completes_it_with_nothing_doubled()
    {
        cluster.EnsureStarted();
        string work = cluster.Temp.Combine("retry");
        string images = Path.Combine(work, "images");
        string cache = Path.Combine(work, "cache");
        string head = Path.Combine(work, "head");
        string logs = Path.Combine(work, "logs");
        for (int person = 1; person <= 4; person++)
        {
            Directory.CreateDirectory(Path.Combine(images, $"s{person}"));
            for (int image = 1; image <= 10; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(images, $"s{person}", $"{image}.pgm"));
            }
        }

        // Task 2's first attempt dies before Extract starts, as a task on a lost node would.
        string wrapper = Path.Combine(work, "extract-failing-task-2-once");
        File.WriteAllText(wrapper, $$"""
            #!/usr/bin/env bash
            if [[ "${SLURM_ARRAY_TASK_ID:-}" == 2 && ! -e "$0.failed" ]]; then : > "$0.failed"; echo "error: task 2: failed on purpose" >&2; exit 1; fi
            exec "{{Path.Combine(AppContext.BaseDirectory, "Extract")}}" "$@"
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Dictionary<string, string> environment = Environment();
        environment["FACEPIPELINE_EXTRACT"] = wrapper;
        string[] options = ["--shards", "4", "--images", images, "--cache", cache, "--head", head, "--model", "resnet18", "--cpus", "1", "--logs", logs];

        (string extract, string verify, string train) = Submit(environment, options);
        Dictionary<string, (string State, string Reason)> failed = cluster.WaitForJobs(ChainTimeout, extract, verify, train);

        Assert.Equal(("FAILED", "NonZeroExitCode"), failed[$"{extract}_2"]);
        Assert.All(new[] { 0, 1, 3 }, k => Assert.Equal("COMPLETED", failed[$"{extract}_{k}"].State));
        Assert.Equal(("CANCELLED", "DependencyNeverSatisfied"), failed[verify]);
        Assert.Equal(("CANCELLED", "DependencyNeverSatisfied"), failed[train]);
        Assert.False(Directory.Exists(head));

        (string retry, string verifyAgain, string trainAgain) = Submit(environment, [.. options, "--array", "2"]);
        Dictionary<string, (string State, string Reason)> retried = cluster.WaitForJobs(ChainTimeout, retry, verifyAgain, trainAgain);

        Assert.Equal(new[] { $"{retry}_2", verifyAgain, trainAgain }.Order(StringComparer.Ordinal), retried.Keys.Order(StringComparer.Ordinal));
        Assert.All(retried, s => Assert.True(s.Value.State == "COMPLETED", $"{s.Key}: {s.Value.State} ({s.Value.Reason}); {Logs(logs)}"));
        Assert.StartsWith("verify: consistent: 4 parts, 40 rows, ", File.ReadAllText(Path.Combine(logs, $"facepipeline-verify-{verifyAgain}.log")), StringComparison.Ordinal);
        // Nothing doubled: shards 0, 1 and 3 ran once, task 2 twice (failed, then alone), TrainHead once; one part per
        // shard and one row per image.
        Assert.Equal(
            new[] { $"{extract}_0", $"{extract}_1", $"{extract}_2", $"{extract}_3", $"{retry}_2" }.Select(id => $"facepipeline-extract-{id}.log").Order(StringComparer.Ordinal),
            Directory.GetFiles(logs, "facepipeline-extract-*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([$"facepipeline-train-head-{trainAgain}.log"], Directory.GetFiles(logs, "facepipeline-train-head-*").Select(Path.GetFileName));
        Assert.Equal(4, Directory.GetFiles(cache, "part-shard*of4-*.parquet").Length);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cache);
        List<FeatureRow> rows = await CacheRows.ReadAllAsync(reader);
        Assert.Equal(40, rows.Select(r => r.Path).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(40, rows.Count);
        (HeadDescription description, IReadOnlyList<string> labels) = HeadFolder.ReadDescription(head);
        Assert.Equal(["s1", "s2", "s3", "s4"], labels);
        Assert.Equal(40, description.Counts.Train + description.Counts.Validation);
    }

    /// <summary>What the jobs need from the submitting shell: the cluster, and the programs of this test build.</summary>
    private Dictionary<string, string> Environment()
    {
        Dictionary<string, string> environment = cluster.ClientEnvironment();
        environment["FACEPIPELINE_EXTRACT"] = Path.Combine(AppContext.BaseDirectory, "Extract");
        environment["FACEPIPELINE_TRAIN_HEAD"] = Path.Combine(AppContext.BaseDirectory, "TrainHead");
        return environment;
    }

    private (string Extract, string Verify, string Train) Submit(Dictionary<string, string> environment, params string[] options)
    {
        (int code, string output) = ProcessRun.Run("bash", [Pipeline, .. options], environment, cluster.Temp.Path);
        Assert.True(code == 0, output);
        Match ids = SubmittedIds().Match(output);
        Assert.True(ids.Success, output);
        return (ids.Groups[1].Value, ids.Groups[2].Value, ids.Groups[3].Value);
    }

    private static string Logs(string folder) =>
        string.Join('\n', Directory.Exists(folder) ? Directory.GetFiles(folder).Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}") : []);

    [GeneratedRegex(@"^extract (\d+) \(array [^)]+\), verify (\d+), train-head (\d+)$", RegexOptions.Multiline)]
    private static partial Regex SubmittedIds();
}
