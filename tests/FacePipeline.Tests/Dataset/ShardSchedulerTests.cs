using FacePipeline.Cli;
using FacePipeline.Dataset;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Dataset;

/// <summary><c>--shard auto</c>: the index from a Kubernetes Indexed Job or a Slurm array, the count always explicit.</summary>
public sealed class ShardSchedulerTests
{
    [Theory]
    [InlineData("JOB_COMPLETION_INDEX", "3")]
    [InlineData("SLURM_ARRAY_TASK_ID", "3")]
    public void Auto_takes_the_index_from_either_scheduler(string variable, string value)
    {
        ShardSpec shard = ShardSpec.Resolve("auto", 4, Environment(variable, value));

        Assert.Equal(new ShardSpec(3, 4), shard);
    }

    [Fact]
    public void Both_variables_may_be_set_when_they_agree()
    {
        Func<string, string?> both = Environment("JOB_COMPLETION_INDEX", "1", "SLURM_ARRAY_TASK_ID", "1");

        Assert.Equal(new ShardSpec(1, 2), ShardSpec.Resolve("auto", 2, both));
    }

    [Fact]
    public void Both_variables_disagreeing_are_refused()
    {
        Func<string, string?> both = Environment("JOB_COMPLETION_INDEX", "0", "SLURM_ARRAY_TASK_ID", "2");

        FormatException error = Assert.Throws<FormatException>(() => ShardSpec.Resolve("auto", 4, both));

        Assert.Equal("--shard auto: JOB_COMPLETION_INDEX=0 and SLURM_ARRAY_TASK_ID=2 disagree; unset one, or give --shard K/N", error.Message);
    }

    [Fact]
    public void Auto_without_a_count_is_refused_even_when_slurm_offers_one()
    {
        Func<string, string?> slurm = Environment("SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "2");

        FormatException error = Assert.Throws<FormatException>(() => ShardSpec.Resolve("auto", null, slurm));

        Assert.Equal(
            "--shard auto needs --shard-count N (the number of shards): the scheduler's own count is not trusted, a resubmitted part of a Slurm array changes it",
            error.Message);
    }

    [Fact]
    public void Auto_without_a_variable_is_refused()
    {
        FormatException error = Assert.Throws<FormatException>(() => ShardSpec.Resolve("auto", 4, Environment("SLURM_ARRAY_TASK_ID", "")));

        Assert.Equal(
            "--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm array) is set; give --shard K/N",
            error.Message);
    }

    [Theory]
    [InlineData("4", "--shard auto: SLURM_ARRAY_TASK_ID=4 is outside 0..3 for --shard-count 4; number the array 0-3")]
    [InlineData("-1", "--shard auto: SLURM_ARRAY_TASK_ID='-1' is not a shard index (a number from 0)")]
    [InlineData("x", "--shard auto: SLURM_ARRAY_TASK_ID='x' is not a shard index (a number from 0)")]
    public void An_index_outside_the_count_or_not_a_number_is_refused(string value, string expected)
    {
        FormatException error = Assert.Throws<FormatException>(() => ShardSpec.Resolve("auto", 4, Environment("SLURM_ARRAY_TASK_ID", value)));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Without_auto_the_variables_are_ignored_and_a_count_is_refused()
    {
        Func<string, string?> slurm = Environment("SLURM_ARRAY_TASK_ID", "2");

        Assert.Equal(ShardSpec.All, ShardSpec.Resolve(null, null, slurm));
        Assert.Equal(new ShardSpec(1, 3), ShardSpec.Resolve("1/3", null, slurm));
        FormatException error = Assert.Throws<FormatException>(() => ShardSpec.Resolve("1/3", 3, slurm));
        Assert.Equal("--shard-count goes with --shard auto only; give --shard K/N or --shard auto --shard-count N", error.Message);
        Assert.Throws<FormatException>(() => ShardSpec.Resolve("auto", 0, slurm));
    }

    [Fact]
    public async Task Extract_with_shard_auto_and_no_count_is_a_usage_error_of_one_line()
    {
        CliRun run = await CliRun.Extract("--images", TestPaths.OrlFaces, "--out", Path.Combine(Path.GetTempPath(), "never-written"), "--shard", "auto");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            ["error: --shard auto needs --shard-count N (the number of shards): the scheduler's own count is not trusted, a resubmitted part of a Slurm array changes it"],
            run.ErrorLines);
    }

    private static Func<string, string?> Environment(params string[] pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < pairs.Length; i += 2)
        {
            values[pairs[i]] = pairs[i + 1];
        }

        return name => values.GetValueOrDefault(name);
    }
}
