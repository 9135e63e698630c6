using System.Globalization;
using FacePipeline.Tests.TestSupport;
using k8s;
using k8s.Models;
using Xunit;

namespace FacePipeline.Tests.Deploy;

/// <summary>
/// The Kubernetes manifests, checked the strictest way available without a cluster: loaded into the Kubernetes API's
/// own types (KubernetesClient, strict: an unknown or misspelt field is an error), then checked against the Job API's
/// validation rules the recipe relies on (Indexed completions, per-index retries, pod replacement) and for the same
/// resource knobs as the Slurm recipe. No API server or kubelet ever ran them here.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Folder = Path.Combine(TestPaths.RepoRoot, "deploy", "kubernetes");

    [Fact]
    public void The_extract_job_is_an_indexed_job_with_per_index_retries_that_never_runs_two_pods_of_one_shard()
    {
        (V1PersistentVolumeClaim claim, V1Job job) = ExtractManifests();
        V1JobSpec spec = job.Spec;
        V1PodSpec pod = spec.Template.Spec;
        V1Container container = Assert.Single(pod.Containers);
        List<string> command = [.. container.Command];

        Assert.Contains("ReadWriteMany", claim.Spec.AccessModes);
        Assert.Equal("Indexed", spec.CompletionMode);
        int completions = spec.Completions!.Value;
        Assert.InRange(spec.Parallelism!.Value, 1, completions);
        Assert.True(spec.BackoffLimitPerIndex >= 1);
        // The API server's rules: maxFailedIndexes needs backoffLimitPerIndex and is at most completions; a
        // podFailurePolicy needs restartPolicy Never and podReplacementPolicy Failed; FailIndex needs per-index limits.
        Assert.InRange(spec.MaxFailedIndexes!.Value, 0, completions);
        Assert.Equal("Failed", spec.PodReplacementPolicy);
        Assert.Equal("Never", pod.RestartPolicy);
        V1PodFailurePolicyRule rule = Assert.Single(spec.PodFailurePolicy.Rules);
        Assert.Equal("FailIndex", rule.Action);
        Assert.Equal(container.Name, rule.OnExitCodes.ContainerName);
        Assert.Equal([2], rule.OnExitCodes.Values);

        Assert.Equal("/app/Extract", command[0]);
        Assert.Equal("auto", After(command, "--shard"));
        Assert.Equal(completions.ToString(CultureInfo.InvariantCulture), After(command, "--shard-count"));
        AssertOnSharedVolume(pod, container, claim.Metadata.Name, After(command, "--out"));
    }

    [Fact]
    public void The_extract_job_has_the_slurm_recipes_resource_knobs_and_asks_for_no_gpu()
    {
        (_, V1Job job) = ExtractManifests();
        V1PodSpec pod = job.Spec.Template.Spec;
        V1Container container = Assert.Single(pod.Containers);

        AssertResourceKnobs(job, container);
        Assert.DoesNotContain("nvidia.com/gpu", container.Resources.Requests.Keys);
        Assert.DoesNotContain("nvidia.com/gpu", container.Resources.Limits.Keys);
        Assert.Equal("cpu", After([.. container.Command], "--device"));
    }

    [Fact]
    public void The_train_job_verifies_the_same_cache_before_training_on_it_with_the_same_knobs()
    {
        (_, V1Job extractJob) = ExtractManifests();
        List<string> extract = [.. Assert.Single(extractJob.Spec.Template.Spec.Containers).Command];
        V1Job job = Assert.IsType<V1Job>(Assert.Single(Load("train-job.yaml")));
        V1PodSpec pod = job.Spec.Template.Spec;
        V1Container verify = Assert.Single(pod.InitContainers);
        V1Container train = Assert.Single(pod.Containers);
        List<string> verifyCommand = [.. verify.Command];
        List<string> trainCommand = [.. train.Command];

        Assert.Equal(["/app/Extract", "verify", After(extract, "--out")], verifyCommand.Take(3));
        Assert.Equal(After(extract, "--manifest"), After(verifyCommand, "--manifest"));
        Assert.Equal("/app/TrainHead", trainCommand[0]);
        Assert.Equal(After(extract, "--out"), After(trainCommand, "--features"));
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal("Never", pod.RestartPolicy);
        AssertResourceKnobs(job, train);
        AssertOnSharedVolume(pod, verify, "facepipeline-data", verifyCommand[2]);
        AssertOnSharedVolume(pod, train, "facepipeline-data", After(trainCommand, "--features"));
    }

    [Fact]
    public void Loading_is_strict_a_misspelt_field_is_an_error()
    {
        string text = File.ReadAllText(Path.Combine(Folder, "extract-job.yaml")).Replace("backoffLimitPerIndex:", "backoffLimitPerindex:", StringComparison.Ordinal);

        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => KubernetesYaml.LoadAllFromString(text, strict: true));
    }

    /// <summary>--cpus, --mem (request and limit, the limit not below the request), --time, --partition.</summary>
    private static void AssertResourceKnobs(V1Job job, V1Container container)
    {
        Assert.True(job.Spec.ActiveDeadlineSeconds > 0);
        Assert.NotNull(job.Spec.Template.Spec.NodeSelector);
        Assert.True(container.Resources.Requests["cpu"].ToDecimal() > 0);
        decimal memory = container.Resources.Requests["memory"].ToDecimal();
        Assert.True(memory > 0);
        Assert.True(container.Resources.Limits["memory"].ToDecimal() >= memory);
    }

    private static (V1PersistentVolumeClaim Claim, V1Job Job) ExtractManifests()
    {
        List<object> documents = Load("extract-job.yaml");
        Assert.Equal(2, documents.Count);
        return (Assert.Single(documents.OfType<V1PersistentVolumeClaim>()), Assert.Single(documents.OfType<V1Job>()));
    }

    private static List<object> Load(string file) => KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Folder, file)), strict: true);

    private static void AssertOnSharedVolume(V1PodSpec pod, V1Container container, string claim, string path)
    {
        V1Volume volume = Assert.Single(pod.Volumes);
        Assert.Equal(claim, volume.PersistentVolumeClaim.ClaimName);
        V1VolumeMount mount = Assert.Single(container.VolumeMounts);
        Assert.Equal(volume.Name, mount.Name);
        Assert.StartsWith(mount.MountPath + "/", path, StringComparison.Ordinal);
    }

    private static string After(List<string> command, string option)
    {
        int index = command.IndexOf(option);
        Assert.True(index >= 0 && index + 1 < command.Count, $"{option} missing from {string.Join(' ', command)}");
        return command[index + 1];
    }
}
