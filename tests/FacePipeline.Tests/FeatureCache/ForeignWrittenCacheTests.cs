using System.Runtime.InteropServices;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Parquet;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>
/// Caches written by other tools, not by Parquet.Net in their layout: three parts written by DuckDB 1.5.6 with
/// <c>DuckDb/fixtures.sql</c> (row groups of 2 048 rows, every column OPTIONAL, PLAIN / dictionary / BYTE_STREAM_SPLIT
/// floats in Snappy or zstd, data pages v1 and v2), and one by arrow-rs with <c>ArrowRs/fixtures.mjs</c> the way
/// parquet-mr (Spark) writes floats: one row group, a dictionary page, RLE_DICTIONARY data pages, then PLAIN pages once
/// the dictionary is full. Each is read whole and page by page in slices, checked against the floats the scripts
/// define, and trained on.
/// </summary>
public sealed class ForeignWrittenCacheTests : IDisposable
{
    private const int Rows = 4500;
    private const int FeatureLength = 16;
    private const int People = 12;
    private readonly TempFolder temp = new();

    [Theory]
    [InlineData("DuckDb/plain-snappy.parquet", false, new[] { 2048, 2048, 404 }, new[] { Parquet.Meta.Encoding.PLAIN })]
    [InlineData("DuckDb/dictionary-snappy.parquet", true, new[] { 2048, 2048, 404 }, new[] { Parquet.Meta.Encoding.PLAIN_DICTIONARY })]
    [InlineData("DuckDb/bss-zstd-v2.parquet", false, new[] { 2048, 2048, 404 }, new[] { Parquet.Meta.Encoding.BYTE_STREAM_SPLIT })]
    [InlineData("ArrowRs/dictionary-fallback-snappy.parquet", false, new[] { 4500 }, new[] { Parquet.Meta.Encoding.RLE_DICTIONARY, Parquet.Meta.Encoding.PLAIN })]
    public async Task Every_row_group_reads_whole_and_in_slices_as_the_floats_the_writer_was_given(string fixture, bool quarters, int[] groups, Parquet.Meta.Encoding[] encodings)
    {
        FeatureCachePart part = (await FeatureCacheReader.OpenAsync(CacheOf(fixture))).Parts.Single();

        Assert.Equal(groups, part.RowGroupRows);
        Assert.Superset(encodings.ToHashSet(), (await FeatureEncodingsAsync(part.FilePath)).ToHashSet());
        int first = 0;
        for (int group = 0; group < part.RowGroupRows.Count; group++)
        {
            FeatureRowGroup whole = await FeatureCacheReader.ReadRowGroupAsync(part, group, includeFeatures: true);
            var sliced = new List<float>();
            foreach (FeatureSlice slice in FeatureCacheReader.ReadFeatureSlices(part, group, rowsPerSlice: 300, CancellationToken.None))
            {
                sliced.AddRange(slice.Features.AsSpan(0, slice.RowCount * FeatureLength).ToArray());
            }

            float[] expected = Enumerable.Range(first, whole.RowCount).SelectMany(i => Row(i, quarters)).ToArray();
            Assert.Equal(expected, whole.Features);
            Assert.Equal(expected, sliced);
            Assert.Equal($"s{first % People}/{first:D7}.jpg", whole.Paths[0]);
            first += whole.RowCount;
        }

        Assert.Equal(Rows, first);
    }

    [Theory]
    [InlineData("DuckDb/plain-snappy.parquet", false)]
    [InlineData("DuckDb/dictionary-snappy.parquet", true)]
    [InlineData("DuckDb/bss-zstd-v2.parquet", false)]
    [InlineData("ArrowRs/dictionary-fallback-snappy.parquet", false)]
    public async Task TrainHead_fits_the_prototypes_of_a_foreign_cache_as_computed_by_hand(string fixture, bool quarters)
    {
        string head = temp.Combine("head-" + fixture.Replace('/', '-'));

        CliRun run = await CliRun.TrainHead("--features", CacheOf(fixture), "--out", head, "--head", "prototype");

        Assert.True(run.ExitCode == 0, run.Error);
        HeadSnapshot snapshot = HeadFolderReader.Read(head);
        float[] prototypes = MemoryMarshal.Cast<byte, float>(snapshot.Weights).ToArray();
        Assert.Equal(People * FeatureLength, prototypes.Length);
        for (int c = 0; c < People; c++)
        {
            int person = int.Parse(snapshot.Labels[c].AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            double[] expected = HandPrototype(person, quarters);
            for (int j = 0; j < FeatureLength; j++)
            {
                // float32 normalisation of each row before the float64 sum: about 1e-6 from the exact mean here.
                Assert.Equal(expected[j], prototypes[(c * FeatureLength) + j], 5e-6);
            }
        }
    }

    public void Dispose() => temp.Dispose();

    /// <summary>Row <paramref name="i"/>'s features as fixtures.sql and fixtures.mjs define them.</summary>
    private static float[] Row(int i, bool quarters) => Enumerable.Range(0, FeatureLength)
        .Select(j => Math.Sin((16.0 * i) + j))
        .Select(x => quarters ? (float)(Math.Round(x * 4, MidpointRounding.AwayFromZero) / 4) : (float)x)
        .ToArray();

    /// <summary>The mean of <paramref name="person"/>'s L2-normalised rows (every row: no split column), normalised.</summary>
    private static double[] HandPrototype(int person, bool quarters)
    {
        var sum = new double[FeatureLength];
        for (int i = person; i < Rows; i += People)
        {
            float[] row = Row(i, quarters);
            double norm = Math.Sqrt(row.Sum(x => (double)x * x));
            for (int j = 0; j < FeatureLength; j++)
            {
                sum[j] += row[j] / norm;
            }
        }

        double length = Math.Sqrt(sum.Sum(x => x * x));
        return sum.Select(x => x / length).ToArray();
    }

    private static async Task<List<Parquet.Meta.Encoding>> FeatureEncodingsAsync(string file)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(file);
        return reader.Metadata!.RowGroups.SelectMany(g => g.Columns[4].MetaData!.Encodings).Distinct().ToList();
    }

    /// <summary>A cache folder holding <paramref name="fixture"/> as its one part.</summary>
    private string CacheOf(string fixture)
    {
        string folder = temp.Combine(fixture.Replace('/', '-'));
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "FeatureCache", fixture), Path.Combine(folder, "part-0-foreign.parquet"));
        return folder;
    }
}
