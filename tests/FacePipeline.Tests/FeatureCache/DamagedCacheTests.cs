using System.Buffers.Binary;
using FacePipeline.Backbones;
using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>
/// Damaged parts (bit flips inside the data pages) and non-finite features: the one cache reader refuses them with
/// one line naming the part, so TrainHead and <c>Predict evaluate</c> fail cleanly instead of crashing.
/// </summary>
public sealed class DamagedCacheTests : IDisposable
{
    private static readonly FeatureIdentity Fixture = HandWrittenPart.Identity("fixture", 4);

    private readonly TempFolder temp = new();

    private string Cache => temp.Combine("cache");

    private string Part => Path.Combine(Cache, "part-0000.parquet");

    [Fact]
    public async Task A_bit_flipped_anywhere_in_the_data_pages_is_a_cache_error_naming_the_part_or_harmless()
    {
        await WriteGoodCacheAsync();
        byte[] good = File.ReadAllBytes(Part);
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(good.Length - 8, 4));
        int dataEnd = good.Length - 8 - footerLength;
        int refused = 0;

        // Every byte between the leading magic number and the footer: column chunks, their page headers and pages.
        for (int offset = 4; offset < dataEnd; offset++)
        {
            byte[] damaged = (byte[])good.Clone();
            damaged[offset] ^= 0x01;
            File.WriteAllBytes(Part, damaged);
            try
            {
                FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(Cache);
                await foreach (FeatureRow row in reader.ReadRowsAsync())
                {
                    Assert.Equal(4, row.Features.Length);
                }
            }
            catch (FacePipelineException error)
            {
                Assert.StartsWith($"{Part}: ", error.Message, StringComparison.Ordinal);
                Assert.DoesNotContain('\n', error.Message);
                refused++;
            }
        }

        // Snappy has no checksum: a flip inside a literal run changes a value without any error (see README).
        Assert.True(refused > 0, "no flip was detected at all");
    }

    [Fact]
    public async Task TrainHead_and_evaluate_on_a_damaged_part_fail_with_one_line_naming_it()
    {
        await WriteGoodCacheAsync();
        string head = temp.Combine("head");
        CliRun trained = await CliRun.TrainHead("--features", Cache, "--out", head, "--epochs", "2");
        Assert.Equal(ExitCodes.Success, trained.ExitCode);
        await DamageAsync();

        CliRun train = await CliRun.TrainHead("--features", Cache, "--out", temp.Combine("head2"));
        CliRun evaluate = await CliRun.Predict("evaluate", "--head", head, "--features", Cache, "--out", temp.Combine("report"));

        foreach (CliRun run in new[] { train, evaluate })
        {
            Assert.Equal(ExitCodes.Failed, run.ExitCode);
            string error = Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.StartsWith($"error: {Part}: damaged Parquet data (", error, StringComparison.Ordinal);
            Assert.EndsWith("; delete the part and re-run Extract", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(temp.Combine("head2")));
        Assert.False(Directory.Exists(temp.Combine("report")));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public async Task A_non_finite_feature_is_refused_naming_the_part_and_row(float bad, string shown)
    {
        await HandWrittenPart.WriteAsync(Part, Fixture,
        [
            HandWrittenPart.Row("s1/1.pgm", "s1", 1, 2, 3, 4),
            HandWrittenPart.Row("s1/2.pgm", "s1", 1, 2, 3, 4),
            HandWrittenPart.Row("s2/1.pgm", "s2", 1, 2, bad, 4),
        ]);

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", temp.Combine("head"));

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Equal(
            $"error: {Part}: row 2 (s2/1.pgm) holds a non-finite feature ({shown} at index 2); delete the part and re-run Extract",
            Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("head")));
    }

    [Fact]
    public async Task A_head_whose_training_diverges_is_refused_with_one_line()
    {
        // Finite but huge features fed raw: the first layer's outputs overflow float32 and the loss becomes NaN.
        var rows = new List<FeatureRow>();
        for (int i = 0; i < 12; i++)
        {
            rows.Add(HandWrittenPart.Row($"s{i % 2}/{i}.pgm", $"s{i % 2}", 3e38f, -3e38f, 3e38f * (i % 2), 1));
        }

        await HandWrittenPart.WriteAsync(Part, Fixture, rows);

        CliRun run = await CliRun.TrainHead("--features", Cache, "--out", temp.Combine("head"), "--no-standardize", "--epochs", "3");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        string error = Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith("error: training diverged: loss NaN in epoch 1", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("head")));
    }

    public void Dispose() => temp.Dispose();

    private async Task WriteGoodCacheAsync()
    {
        var random = new Random(5);
        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(Part, Fixture, "test");
        for (int i = 0; i < 24; i++)
        {
            int person = i % 2;
            float[] features = Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray();
            await writer.AddAsync(new FeatureRow($"s{person}/{i}.pgm", $"s{person}", null, new string('0', 64), features));
        }

        await writer.CommitAsync();
    }

    /// <summary>Flips the first bit, from the end of the data pages backwards, that makes the part unreadable.</summary>
    private async Task DamageAsync()
    {
        byte[] good = File.ReadAllBytes(Part);
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(good.Length - 8, 4));
        for (int offset = good.Length - 9 - footerLength; offset >= 4; offset--)
        {
            byte[] damaged = (byte[])good.Clone();
            damaged[offset] ^= 0x01;
            File.WriteAllBytes(Part, damaged);
            try
            {
                FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(Cache);
                await foreach (FeatureRow row in reader.ReadRowsAsync())
                {
                    _ = row;
                }
            }
            catch (Exception error) when (error is not Xunit.Sdk.XunitException)
            {
                return;
            }
        }

        throw new InvalidOperationException("no bit flip made the part unreadable");
    }
}
