using System.Runtime.InteropServices;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Parquet;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>
/// Caches written by DuckDB itself, not by Parquet.Net in DuckDB's layout: three parts written by DuckDB 1.5.6 with
/// <c>DuckDb/fixtures.sql</c> (row groups of 2 048 rows, every column OPTIONAL, PLAIN / dictionary / BYTE_STREAM_SPLIT
/// floats in Snappy or zstd, data pages v1 and v2). Each is read whole and page by page in slices, checked against the
/// floats the SQL defines, and trained on.
/// </summary>
public sealed class DuckDbWrittenCacheTests : IDisposable
{
    private const int Rows = 4500;
    private const int FeatureLength = 16;
    private const int People = 12;
    private readonly TempFolder temp = new();

    [Theory]
    [InlineData("plain-snappy.parquet", false, Parquet.Meta.Encoding.PLAIN)]
    [InlineData("dictionary-snappy.parquet", true, Parquet.Meta.Encoding.PLAIN_DICTIONARY)]
    [InlineData("bss-zstd-v2.parquet", false, Parquet.Meta.Encoding.BYTE_STREAM_SPLIT)]
    public async Task Every_row_group_reads_whole_and_in_slices_as_the_floats_DuckDB_was_given(string fixture, bool quarters, Parquet.Meta.Encoding encoding)
    {
        FeatureCachePart part = (await FeatureCacheReader.OpenAsync(CacheOf(fixture))).Parts.Single();

        Assert.Equal([2048, 2048, 404], part.RowGroupRows);
        Assert.Contains(encoding, await FeatureEncodingsAsync(part.FilePath));
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
    [InlineData("plain-snappy.parquet", false)]
    [InlineData("dictionary-snappy.parquet", true)]
    [InlineData("bss-zstd-v2.parquet", false)]
    public async Task TrainHead_fits_the_prototypes_of_a_DuckDB_cache_as_computed_by_hand(string fixture, bool quarters)
    {
        string head = temp.Combine("head-" + fixture);

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

    /// <summary>Row <paramref name="i"/>'s features as fixtures.sql defines them.</summary>
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
        string folder = temp.Combine(Path.GetFileNameWithoutExtension(fixture));
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "FeatureCache", "DuckDb", fixture), Path.Combine(folder, "part-0-duckdb.parquet"));
        return folder;
    }
}
