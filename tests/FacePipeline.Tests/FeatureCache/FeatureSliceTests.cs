using FacePipeline.FeatureCache;
using FacePipeline.Fixtures;
using FacePipeline.Tests.TestSupport;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>
/// Row groups read in slices, page by page, hold exactly what Parquet.Net reads whole, for each codec and float
/// encoding the page reader decodes (one row group of 300 rows × 96 floats, written by Parquet.Net with the options).
/// </summary>
public sealed class FeatureSliceTests : IDisposable
{
    private const int Rows = 300;
    private const int FeatureLength = 96;
    private readonly TempFolder temp = new();

    [Theory]
    [InlineData(CompressionMethod.Snappy, EncodingHint.Default, Parquet.Meta.Encoding.PLAIN)]
    [InlineData(CompressionMethod.None, EncodingHint.Default, Parquet.Meta.Encoding.PLAIN)]
    [InlineData(CompressionMethod.Gzip, EncodingHint.Default, Parquet.Meta.Encoding.PLAIN)]
    [InlineData(CompressionMethod.Zstd, EncodingHint.Default, Parquet.Meta.Encoding.PLAIN)]
    [InlineData(CompressionMethod.Snappy, EncodingHint.ByteSplitStream, Parquet.Meta.Encoding.BYTE_STREAM_SPLIT)]
    public async Task Slices_read_page_by_page_equal_the_whole_row_group(CompressionMethod codec, EncodingHint hint, Parquet.Meta.Encoding expected)
    {
        DataField features = FeatureCacheSchema.Schema.GetDataFields()[4];
        var options = new ParquetOptions { CompressionMethod = codec, DictionaryEncodingThreshold = 1.0 };
        options.ColumnEncodingHints[features.Path.ToString()] = hint;
        await SyntheticFeatureCache.WriteLargeGroupsAsync(temp.Path, Rows, FeatureLength, classes: 3, seed: 5, rowGroupRows: Rows, options);
        FeatureCachePart part = (await FeatureCacheReader.OpenAsync(temp.Path)).Parts.Single();

        FeatureRowGroup whole = await FeatureCacheReader.ReadRowGroupAsync(part, 0, includeFeatures: true);
        var sliced = new List<float>();
        var starts = new List<int>();
        foreach (FeatureSlice slice in FeatureCacheReader.ReadFeatureSlices(part, 0, rowsPerSlice: 37, CancellationToken.None))
        {
            starts.Add(slice.FirstRow);
            sliced.AddRange(slice.Features.AsSpan(0, slice.RowCount * FeatureLength).ToArray());
        }

        Assert.Contains(expected, await EncodingsAsync(part.FilePath));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => i * 37), starts);
        Assert.Equal(whole.Features, sliced);
        Assert.True(await FeatureCacheReader.FeaturePageBytesAsync(part, 0, CancellationToken.None) > 0);
    }

    [Fact]
    public async Task A_damaged_page_is_the_parts_problem_in_one_line()
    {
        await SyntheticFeatureCache.WriteLargeGroupsAsync(temp.Path, Rows, FeatureLength, classes: 3, seed: 5, rowGroupRows: Rows, new ParquetOptions { CompressionMethod = CompressionMethod.None });
        FeatureCachePart part = (await FeatureCacheReader.OpenAsync(temp.Path)).Parts.Single();
        // A NaN in the middle of row 150's vector: uncompressed PLAIN floats lie in the file as they are.
        byte[] bytes = await File.ReadAllBytesAsync(part.FilePath);
        byte[] row150 = BitConverter.GetBytes((await FeatureCacheReader.ReadRowGroupAsync(part, 0, includeFeatures: true)).Features[(150 * FeatureLength) + 3]);
        int at = bytes.AsSpan().IndexOf(row150);
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, at);
        await File.WriteAllBytesAsync(part.FilePath, bytes);

        FacePipelineException error = Assert.Throws<FacePipelineException>(() => FeatureCacheReader.ReadFeatureSlices(part, 0, 37, CancellationToken.None).ToList());

        Assert.Equal($"{part.FilePath}: row 150 holds a non-finite feature (NaN at index 3); delete the part and re-write it", error.Message);
    }

    public void Dispose() => temp.Dispose();

    private static async Task<List<Parquet.Meta.Encoding>> EncodingsAsync(string file)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(file);
        return reader.Metadata!.RowGroups[0].Columns[4].MetaData!.Encodings;
    }
}
