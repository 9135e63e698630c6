using FacePipeline.Dataset;
using FacePipeline.Features;
using FacePipeline.FeatureCache;

namespace FacePipeline.Bench;

/// <summary>
/// Feature-cache I/O through the library's writer and reader: parts of <see cref="FeatureCacheSchema.PartRows"/> rows
/// written with <see cref="FeatureCachePartWriter"/> (temporary file, fsync, rename) and streamed back with
/// <see cref="FeatureCacheReader.ReadRowsAsync"/>, then checked with <see cref="CacheVerifier"/> (<c>Extract verify</c>). Reads follow the write, so the file is in the page cache: the read
/// figure is decoding speed, not disk speed.
/// </summary>
internal static class CacheIoBench
{
    /// <summary>Writes and reads <paramref name="rows"/> rows per repeat, then deletes the cache.</summary>
    /// <param name="name">Label for the tables.</param>
    /// <param name="folder">Cache folder (deleted before and after).</param>
    /// <param name="identity">Backbone identity written into the parts.</param>
    /// <param name="rows">Rows to write.</param>
    /// <param name="row">Feature vector of row <c>i</c> (may return shared arrays).</param>
    /// <param name="repeats">Timed repeats.</param>
    public static async Task<CacheIoResult> Measure(string name, string folder, FeatureIdentity identity, int rows, Func<int, float[]> row, int repeats)
    {
        double payloadMb = (double)rows * identity.FeatureLength * sizeof(float) / 1e6;
        long fileBytes = 0;
        var write = new List<double>();
        var read = new List<double>();
        var verify = new List<double>();
        try
        {
            for (int r = 0; r < repeats; r++)
            {
                Reset(folder);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await Write(folder, identity, rows, row);
                write.Add(payloadMb / clock.Elapsed.TotalSeconds);
                fileBytes = Directory.GetFiles(folder, FeatureCacheLayout.PartPattern).Sum(f => new FileInfo(f).Length);

                clock.Restart();
                FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(folder);
                long values = 0;
                await foreach (FeatureRow cached in reader.ReadRowsAsync())
                {
                    values += cached.Features.Length;
                }

                read.Add(payloadMb / clock.Elapsed.TotalSeconds);
                if (values != (long)rows * identity.FeatureLength)
                {
                    throw new BenchException($"{folder}: read {values} values, wrote {(long)rows * identity.FeatureLength}");
                }

                // Extract verify without an input: hash every part's pages, decode every column of every row group.
                clock.Restart();
                CacheVerification verified = await CacheVerifier.VerifyAsync(folder, null);
                verify.Add(fileBytes / 1e6 / clock.Elapsed.TotalSeconds);
                if (!verified.Consistent || verified.RowCount != rows)
                {
                    throw new BenchException($"{folder}: verify found {verified.Problems.Count} problem(s) and {verified.RowCount} rows in a fresh cache of {rows}");
                }
            }
        }
        finally
        {
            Reset(folder);
        }

        return new CacheIoResult(name, rows, identity.FeatureLength, fileBytes, Stats.Of(write), Stats.Of(read), Stats.Of(verify));
    }

    private static async Task Write(string folder, FeatureIdentity identity, int rows, Func<int, float[]> row)
    {
        for (int start = 0, part = 0; start < rows; start += FeatureCacheSchema.PartRows, part++)
        {
            await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(Path.Combine(folder, FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(ShardSpec.All), "bench", part)), identity, ToolInfo.Version);
            for (int i = start; i < Math.Min(rows, start + FeatureCacheSchema.PartRows); i++)
            {
                await writer.AddAsync(new FeatureRow($"person{i % 40}/{i}.pgm", $"s{i % 40}", null, "0", row(i)));
            }

            await writer.CommitAsync();
        }
    }

    private static void Reset(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
    }
}
