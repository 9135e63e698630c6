using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace FacePipeline.Tests.Deploy;

/// <summary>
/// The scheduler files in <c>deploy/</c>: the Kubernetes manifests parse (YamlDotNet) and declare what a sharded,
/// retried GPU extraction needs; the Slurm scripts pass <c>bash -n</c>; and the Slurm pipeline runs here for real,
/// against 4 ORL people with the bundled ResNet18, under a stand-in <c>sbatch</c>/<c>srun</c> that sets
/// <c>SLURM_ARRAY_TASK_ID</c> as an array would.
/// </summary>
public sealed class DeployFilesTests : IDisposable
{
    private static readonly string Deploy = Path.Combine(TestPaths.RepoRoot, "deploy");
    private static readonly string Pipeline = Path.Combine(Deploy, "slurm", "pipeline.sh");

    private readonly TempFolder temp = new();

    [Fact]
    public void The_extract_job_is_an_indexed_gpu_job_with_per_index_retries_on_a_shared_volume()
    {
        List<YamlMappingNode> documents = Load("kubernetes/extract-job.yaml");
        YamlMappingNode claim = Assert.Single(documents, d => Text(d, "kind") == "PersistentVolumeClaim");
        YamlMappingNode job = Assert.Single(documents, d => Text(d, "kind") == "Job");

        Assert.Contains("ReadWriteMany", Sequence(claim, "spec", "accessModes"));
        YamlMappingNode spec = Map(job, "spec");
        int completions = int.Parse(Text(spec, "completions"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Indexed", Text(spec, "completionMode"));
        Assert.InRange(int.Parse(Text(spec, "parallelism"), System.Globalization.CultureInfo.InvariantCulture), 1, completions);
        Assert.True(int.Parse(Text(spec, "backoffLimitPerIndex"), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.NotNull(Text(spec, "maxFailedIndexes"));
        YamlMappingNode pod = Map(spec, "template", "spec");
        Assert.Equal("Never", Text(pod, "restartPolicy"));
        YamlMappingNode container = Assert.Single(Maps(pod, "containers"));
        List<string> command = Sequence(container, "command");
        Assert.Equal("/app/Extract", command[0]);
        Assert.Equal("auto", After(command, "--shard"));
        Assert.Equal(completions.ToString(System.Globalization.CultureInfo.InvariantCulture), After(command, "--shard-count"));
        Assert.Equal("1", Text(container, "resources", "requests", "nvidia.com/gpu"));
        Assert.Equal("1", Text(container, "resources", "limits", "nvidia.com/gpu"));
        AssertOnSharedVolume(pod, container, Text(claim, "metadata", "name"), After(command, "--out"));
    }

    [Fact]
    public void The_train_job_verifies_the_same_cache_before_training_on_it()
    {
        YamlMappingNode extractJob = Assert.Single(Load("kubernetes/extract-job.yaml"), d => Text(d, "kind") == "Job");
        List<string> extract = Sequence(Assert.Single(Maps(Map(extractJob, "spec", "template", "spec"), "containers")), "command");
        YamlMappingNode job = Assert.Single(Load("kubernetes/train-job.yaml"));
        YamlMappingNode pod = Map(job, "spec", "template", "spec");

        YamlMappingNode verify = Assert.Single(Maps(pod, "initContainers"));
        YamlMappingNode train = Assert.Single(Maps(pod, "containers"));
        List<string> verifyCommand = Sequence(verify, "command");
        List<string> trainCommand = Sequence(train, "command");
        Assert.Equal(["/app/Extract", "verify", After(extract, "--out")], verifyCommand.Take(3));
        Assert.Equal(After(extract, "--manifest"), After(verifyCommand, "--manifest"));
        Assert.Equal("/app/TrainHead", trainCommand[0]);
        Assert.Equal(After(extract, "--out"), After(trainCommand, "--features"));
        AssertOnSharedVolume(pod, verify, "facepipeline-data", verifyCommand[2]);
        AssertOnSharedVolume(pod, train, "facepipeline-data", After(trainCommand, "--features"));
    }

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
        Assert.All(Directory.GetFiles(cache, "*.parquet"), p => Assert.Matches("^part-shard[012]of3-", Path.GetFileName(p)));

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

    private static void AssertOnSharedVolume(YamlMappingNode pod, YamlMappingNode container, string claim, string path)
    {
        YamlMappingNode volume = Assert.Single(Maps(pod, "volumes"));
        Assert.Equal(claim, Text(volume, "persistentVolumeClaim", "claimName"));
        YamlMappingNode mount = Assert.Single(Maps(container, "volumeMounts"));
        Assert.Equal(Text(volume, "name"), Text(mount, "name"));
        Assert.StartsWith(Text(mount, "mountPath") + "/", path, StringComparison.Ordinal);
    }

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

    private static List<YamlMappingNode> Load(string relative)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Deploy, relative)))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
    }

    private static YamlMappingNode Map(YamlMappingNode node, params string[] keys)
    {
        foreach (string key in keys)
        {
            node = Assert.IsType<YamlMappingNode>(node.Children[new YamlScalarNode(key)]);
        }

        return node;
    }

    private static IEnumerable<YamlMappingNode> Maps(YamlMappingNode node, string key) =>
        Assert.IsType<YamlSequenceNode>(node.Children[new YamlScalarNode(key)]).Children.Select(c => Assert.IsType<YamlMappingNode>(c));

    private static List<string> Sequence(YamlMappingNode node, params string[] keys)
    {
        YamlMappingNode parent = Map(node, keys[..^1]);
        return Assert.IsType<YamlSequenceNode>(parent.Children[new YamlScalarNode(keys[^1])]).Children
            .Select(c => Assert.IsType<YamlScalarNode>(c).Value!)
            .ToList();
    }

    private static string Text(YamlMappingNode node, params string[] keys)
    {
        YamlMappingNode parent = Map(node, keys[..^1]);
        return Assert.IsType<YamlScalarNode>(parent.Children[new YamlScalarNode(keys[^1])]).Value!;
    }

    private static string After(List<string> command, string option)
    {
        int index = command.IndexOf(option);
        Assert.True(index >= 0 && index + 1 < command.Count, $"{option} missing from {string.Join(' ', command)}");
        return command[index + 1];
    }
}
