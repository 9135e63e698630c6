using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Extraction;

/// <summary>
/// A scheduler retries a shard (Slurm requeue, a Kubernetes index after a failed pod): the retry must leave each of
/// the shard's images in the cache once, never twice.
/// </summary>
public sealed class ShardRetryTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string model;

    public ShardRetryTests()
    {
        model = FixtureBackbone.Write(temp.Combine("models"));
        for (int person = 1; person <= 3; person++)
        {
            Directory.CreateDirectory(temp.Combine("images", $"s{person}"));
            for (int image = 1; image <= 4; image++)
            {
                File.Copy(TestPaths.OrlImage(person, image), temp.Combine("images", $"s{person}", $"{image}.pgm"));
            }
        }
    }

    [Fact]
    public async Task The_same_shard_run_twice_holds_each_image_once()
    {
        CliRun first = await ExtractShard("1/3");
        string[] partsAfterFirst = Parts();
        CliRun retry = await ExtractShard("1/3");

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Equal(ExitCodes.Success, retry.ExitCode);
        int inShard = Directory.GetFiles(temp.Combine("images"), "*.pgm", SearchOption.AllDirectories)
            .Count(f => new ShardSpec(1, 3).Contains(Path.GetRelativePath(temp.Combine("images"), f).Replace('\\', '/')));
        Assert.Contains($"extract: 0 new, {inShard} cached, 0 removed, 0 failed (", retry.Error, StringComparison.Ordinal);
        Assert.Equal(partsAfterFirst, Parts());
        CacheVerification verified = await CacheVerifier.VerifyAsync(temp.Combine("cache"), null);
        Assert.DoesNotContain(verified.Problems, p => !p.Subject.StartsWith("shard ", StringComparison.Ordinal));
        Assert.Equal(inShard, verified.RowCount);
    }

    public void Dispose() => temp.Dispose();

    private Task<CliRun> ExtractShard(string shard) =>
        CliRun.Extract("--images", temp.Combine("images"), "--out", temp.Combine("cache"), "--model", model, "--device", "cpu", "--shard", shard);

    private string[] Parts() => Directory.GetFiles(temp.Combine("cache"), FeatureCacheLayout.PartPattern).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
}
