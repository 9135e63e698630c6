using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Deploy;

/// <summary>
/// The Slurm files in <c>deploy/</c> without a scheduler: the scripts pass <c>bash -n</c>, <c>pipeline.sh</c> forwards
/// the submitter's resources to sbatch (a recording stand-in), and the chain runs against 4 ORL people with the bundled
/// ResNet18 under a stand-in <c>sbatch</c>/<c>srun</c> that sets <c>SLURM_ARRAY_TASK_ID</c> as an array would. On a
/// real Slurm: <see cref="SlurmPipelineTests"/>; the Kubernetes manifests: <see cref="KubernetesManifestTests"/>.
/// </summary>
public sealed class DeployFilesTests : IDisposable
{
    private static readonly string Deploy = Path.Combine(TestPaths.RepoRoot, "deploy");
    private static readonly string Pipeline = Path.Combine(Deploy, "slurm", "pipeline.sh");

    private readonly TempFolder temp = new();

    [Fact]
    public void The_shell_scripts_parse_and_the_batch_files_fix_no_resources()
    {
        string[] scripts = Directory.GetFiles(Deploy, "*.s*", SearchOption.AllDirectories).Where(f => f.EndsWith(".sh", StringComparison.Ordinal) || f.EndsWith(".sbatch", StringComparison.Ordinal)).ToArray();
        string sbatch = File.ReadAllText(Path.Combine(Deploy, "slurm", "extract.sbatch"));

        Assert.Equal(5, scripts.Length);
        foreach (string script in scripts)
        {
            (int code, string output) = Run("bash", ["-n", script], null);
            Assert.True(code == 0, $"bash -n {script}: {output}");
        }

        // Resources come from the submitter; a fixed GPU, CPU, memory or time line would be refused by (or waste)
        // a cluster that has other nodes.
        foreach (string file in Directory.GetFiles(Path.Combine(Deploy, "slurm"), "*.sbatch"))
        {
            Assert.DoesNotMatch(@"(?m)^#SBATCH +--(gres|gpus|cpus-per-task|mem|time|partition|array)", File.ReadAllText(file));
        }

        Assert.Contains("--shard auto --shard-count \"$SHARDS\"", sbatch, StringComparison.Ordinal);
        Assert.DoesNotContain("SLURM_ARRAY_TASK_COUNT", sbatch.Split('\n').Where(l => !l.StartsWith('#')), StringComparer.Ordinal);
    }

    [Fact]
    public void Pipeline_asks_for_no_gpu_and_no_sizes_unless_the_submitter_does()
    {
        string state = temp.Combine("slurm");
        (int code, string output) = Run("bash", [Pipeline, "--shards", "4", "--images", "/shared/faces", "--cache", "/shared/cache", "--head", "/shared/head", "--logs", temp.Combine("logs")], RecordOnly(state));

        Assert.True(code == 0, output);
        string logs = temp.Combine("logs");
        Assert.Equal(
            [
                $"sbatch --parsable --array=0-3%4 --output={logs}/facepipeline-extract-%A_%a.log {Path.Combine(Deploy, "slurm", "extract.sbatch")}",
                $"sbatch --parsable --dependency=afterok:1000 --kill-on-invalid-dep=yes --output={logs}/facepipeline-verify-%j.log {Path.Combine(Deploy, "slurm", "verify.sbatch")}",
                $"sbatch --parsable --dependency=afterok:1001 --kill-on-invalid-dep=yes --output={logs}/facepipeline-train-head-%j.log {Path.Combine(Deploy, "slurm", "train-head.sbatch")}",
            ],
            File.ReadAllLines(Path.Combine(state, "calls.log")));
        Assert.Equal(["DEVICE=cpu", "SHARDS=4", "MODEL="], File.ReadAllLines(Path.Combine(state, "1000.env")));
        Assert.Equal("extract 1000 (array 0-3%4), verify 1001, train-head 1002", output.Trim());
    }

    [Fact]
    public void Pipeline_forwards_the_submitters_gpus_cpus_memory_time_partition_and_extra_options()
    {
        string state = temp.Combine("slurm");
        string logs = temp.Combine("logs");
        (int code, string output) = Run(
            "bash",
            [
                Pipeline, "--shards", "16", "--parallel", "8", "--manifest", "/shared/m.csv", "--cache", "/shared/cache", "--head", "/shared/head",
                "--partition", "gpu", "--account", "vision", "--gpus", "2", "--cpus", "8", "--mem", "16G", "--time", "12:00:00",
                "--train-cpus", "4", "--train-mem", "32G", "--train-time", "2:00:00", "--logs", logs, "--array", "3,7", "--", "--qos=high", "--constraint=avx2",
            ],
            RecordOnly(state));

        Assert.True(code == 0, output);
        const string common = "--partition=gpu --account=vision --qos=high --constraint=avx2";
        Assert.Equal(
            [
                $"sbatch --parsable {common} --cpus-per-task=8 --mem=16G --time=12:00:00 --gres=gpu:2 --array=3,7%8 --output={logs}/facepipeline-extract-%A_%a.log {Path.Combine(Deploy, "slurm", "extract.sbatch")}",
                $"sbatch --parsable {common} --dependency=afterok:1000 --kill-on-invalid-dep=yes --output={logs}/facepipeline-verify-%j.log {Path.Combine(Deploy, "slurm", "verify.sbatch")}",
                $"sbatch --parsable {common} --cpus-per-task=4 --mem=32G --time=2:00:00 --dependency=afterok:1001 --kill-on-invalid-dep=yes --output={logs}/facepipeline-train-head-%j.log {Path.Combine(Deploy, "slurm", "train-head.sbatch")}",
            ],
            File.ReadAllLines(Path.Combine(state, "calls.log")));
        Assert.Equal(["DEVICE=cuda", "SHARDS=16", "MODEL="], File.ReadAllLines(Path.Combine(state, "1000.env")));
    }

    [Theory]
    [InlineData("--gpus", "one", "error: --gpus: 'one' is not a whole number; see the header of ")]
    [InlineData("--shards", "0", "error: --shards: '0' is not a whole number above 0; see the header of ")]
    [InlineData("--cpus", null, "error: --cpus: needs a value; see the header of ")]
    [InlineData("--nodes", "2", "error: --nodes: unknown option; see the header of ")]
    public void Pipeline_refuses_a_bad_option_before_submitting_anything(string option, string? value, string error)
    {
        string state = temp.Combine("slurm");
        List<string> args = [Pipeline, "--shards", "2", "--images", "/x", "--cache", "/c", "--head", "/h", option];
        if (value is not null)
        {
            args.Add(value);
        }

        (int code, string output) = Run("bash", [.. args], RecordOnly(state));

        Assert.Equal(2, code);
        Assert.StartsWith(error, output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(state, "calls.log")));
    }

    [Fact]
    public async Task The_slurm_pipeline_run_with_fake_array_variables_equals_one_unsharded_run()
    {
        string images = temp.Combine("images");
        for (int person = 1; person <= 4; person++)
        {
            Directory.CreateDirectory(Path.Combine(images, $"s{person}"));
            for (int image = 1; image <= 10; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), Path.Combine(images, $"s{person}", $"{image}.pgm"));
            }
        }

        string cache = temp.Combine("cache");
        string state = temp.Combine("slurm");
        (int code, string output) = Run(
            "bash",
            [Pipeline, "--shards", "3", "--parallel", "2", "--images", images, "--cache", cache, "--head", temp.Combine("head"), "--model", "resnet18", "--logs", temp.Combine("logs")],
            FakeSlurm(state));

        Assert.True(code == 0, output);
        Assert.Equal("extract 1000 (array 0-2%2), verify 1001, train-head 1002", output.Trim());
        Assert.Equal(
            [
                $"sbatch --parsable --array=0-2%2 --output={temp.Combine("logs")}/facepipeline-extract-%A_%a.log {Path.Combine(Deploy, "slurm", "extract.sbatch")}",
                $"sbatch --parsable --dependency=afterok:1000 --kill-on-invalid-dep=yes --output={temp.Combine("logs")}/facepipeline-verify-%j.log {Path.Combine(Deploy, "slurm", "verify.sbatch")}",
                $"sbatch --parsable --dependency=afterok:1001 --kill-on-invalid-dep=yes --output={temp.Combine("logs")}/facepipeline-train-head-%j.log {Path.Combine(Deploy, "slurm", "train-head.sbatch")}",
            ],
            File.ReadAllLines(Path.Combine(state, "calls.log")));
        Assert.Equal(["0", "0", "0"], new[] { "1000", "1001", "1002" }.Select(id => File.ReadAllText(Path.Combine(state, id + ".status")).Trim()));
        for (int task = 0; task < 3; task++)
        {
            Assert.Contains($"shard {task}/3", File.ReadAllText(Path.Combine(state, $"1000.{task}.log")), StringComparison.Ordinal);
        }

        Assert.StartsWith("verify: consistent: ", File.ReadAllText(Path.Combine(state, "1001.log")), StringComparison.Ordinal);
        Assert.Contains(", 40 rows, ", File.ReadAllText(Path.Combine(state, "1001.log")), StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Combine("head", "weights.bin")));
        Assert.All(Directory.GetFiles(cache, FeatureCacheLayout.PartPattern), p => Assert.Matches("^part-shard[012]of3-", Path.GetFileName(p)));

        CliRun whole = await CliRun.Extract("--images", images, "--out", temp.Combine("whole"), "--model", "resnet18", "--device", "cpu");
        Assert.Equal(ExitCodes.Success, whole.ExitCode);
        Dictionary<string, FeatureRow> expected = await ReadAsync(temp.Combine("whole"));
        Dictionary<string, FeatureRow> sharded = await ReadAsync(cache);
        Assert.Equal(40, sharded.Count);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), sharded.Keys.Order(StringComparer.Ordinal));
        foreach ((string path, FeatureRow row) in expected)
        {
            Assert.Equal(row.Sha256, sharded[path].Sha256);
            Assert.Equal(row.Label, sharded[path].Label);
            float[] other = sharded[path].Features;
            Assert.Equal(row.Features.Length, other.Length);
            for (int i = 0; i < other.Length; i++)
            {
                // Batch composition may change the order of float sums inside ONNX Runtime's kernels.
                Assert.InRange(other[i] - row.Features[i], -1e-4f, 1e-4f);
            }
        }
    }

    [Fact]
    public void A_failed_shard_stops_verify_and_training()
    {
        string state = temp.Combine("slurm");
        Directory.CreateDirectory(temp.Combine("images"));

        // An image folder with no people: every array task fails with Extract's own one-line error.
        (int code, string output) = Run(
            "bash",
            [Pipeline, "--shards", "2", "--images", temp.Combine("images"), "--cache", temp.Combine("cache"), "--head", temp.Combine("head"), "--logs", temp.Combine("logs")],
            FakeSlurm(state));

        Assert.True(code == 0, output);
        Assert.Equal(["1", "never", "never"], new[] { "1000", "1001", "1002" }.Select(id => File.ReadAllText(Path.Combine(state, id + ".status")).Trim()));
        Assert.StartsWith("error: ", File.ReadAllText(Path.Combine(state, "1000.0.log")), StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("head")));
    }

    public void Dispose() => temp.Dispose();

    /// <summary>The stand-in sbatch recording its calls without running them.</summary>
    private Dictionary<string, string> RecordOnly(string state)
    {
        Dictionary<string, string> environment = FakeSlurm(state);
        environment["FAKE_SLURM_RECORD_ONLY"] = "1";
        return environment;
    }

    /// <summary>PATH with the stand-in sbatch/srun first, and the programs of this test build.</summary>
    private Dictionary<string, string> FakeSlurm(string state)
    {
        string bin = temp.Combine("fake-bin");
        Directory.CreateDirectory(bin);
        foreach (string tool in new[] { "sbatch", "srun" })
        {
            string target = Path.Combine(bin, tool);
            File.Copy(Path.Combine(TestPaths.RepoRoot, "tests", "FacePipeline.Tests", "Deploy", "fake-slurm", tool), target);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["FAKE_SLURM_STATE"] = state,
            ["FACEPIPELINE_EXTRACT"] = Path.Combine(AppContext.BaseDirectory, "Extract"),
            ["FACEPIPELINE_TRAIN_HEAD"] = Path.Combine(AppContext.BaseDirectory, "TrainHead"),
        };
    }

    private static (int Code, string Output) Run(string program, string[] args, Dictionary<string, string>? environment) =>
        ProcessRun.Run(program, args, environment, null);

    private static async Task<Dictionary<string, FeatureRow>> ReadAsync(string cache)
    {
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cache);
        var rows = new Dictionary<string, FeatureRow>(StringComparer.Ordinal);
        await foreach (FeatureRow row in reader.ReadRowsAsync())
        {
            Assert.True(rows.TryAdd(row.Path, row), $"{row.Path} twice");
        }

        return rows;
    }
}
