using System.Buffers.Binary;
using System.IO.Compression;
using Parquet.Meta;

namespace FacePipeline.FeatureCache;

/// <summary>
/// Reads the feature column chunk of one row group page by page into slices of whole rows, so a row group far larger
/// than the memory budget (DuckDB writes 2 048 rows, about 200 MB at 25 088 floats; Spark about 128 MB) is never held
/// at once: memory is the largest page, compressed and decompressed, plus one slice. Parquet.Net 6.1 reads a column
/// chunk only whole and keeps its page reader internal. Handles data pages v1 and v2, PLAIN, dictionary and
/// BYTE_STREAM_SPLIT floats, and the codecs that DuckDB, Spark, pyarrow and Parquet.Net write; every row must hold
/// exactly one vector of the cache's length, without nulls.
/// </summary>
internal sealed class FeaturePageReader : IDisposable
{
    /// <summary>Buffers of a streamed page: the file's and the values' (64 KiB each) and a decompressor's window (Snappy 64 KiB, gzip 32 KiB).</summary>
    private const long StreamBufferBytes = 256L << 10;

    private readonly FileStream stream;
    private readonly string file;
    private readonly CompressionCodec codec;
    private readonly long chunkEnd;
    private readonly int repetitionWidth;
    private readonly int definitionWidth;
    private readonly int maxDefinition;
    private byte[] compressed = [];
    private byte[] body = [];
    private float[] dictionary = [];

    /// <summary>Opens <paramref name="file"/> at the start of <paramref name="chunk"/>.</summary>
    public FeaturePageReader(string file, ColumnChunk chunk, int maxRepetition, int maxDefinition)
    {
        ColumnMetaData meta = chunk.MetaData ?? throw new InvalidDataException("column chunk without metadata");
        this.file = file;
        codec = meta.Codec;
        this.maxDefinition = maxDefinition;
        repetitionWidth = BitWidth(maxRepetition);
        definitionWidth = BitWidth(maxDefinition);
        long start = ChunkStart(meta);
        chunkEnd = start + meta.TotalCompressedSize;
        stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        stream.Position = start;
    }

    /// <summary>
    /// Bytes reading <paramref name="chunk"/> holds at its peak besides the slice: its largest page compressed and
    /// decompressed, and its dictionary. Reads only the page headers.
    /// </summary>
    public static long PeakBytes(string file, ColumnChunk chunk)
    {
        ColumnMetaData meta = chunk.MetaData ?? throw new InvalidDataException("column chunk without metadata");
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        stream.Position = ChunkStart(meta);
        long end = stream.Position + meta.TotalCompressedSize;
        long largest = 0;
        long dictionaryBytes = 0;
        while (stream.Position < end)
        {
            ParquetPageHeader header = ParquetPageHeader.Read(stream);
            largest = Math.Max(largest, Streams(header, meta.Codec) ? StreamedPageBytes(header) : (long)header.CompressedSize + header.UncompressedSize);
            if (header.Type == PageType.DICTIONARY_PAGE)
            {
                dictionaryBytes = (long)header.ValueCount * sizeof(float);
            }

            stream.Position += header.CompressedSize;
        }

        return largest + dictionaryBytes;
    }

    /// <summary>
    /// Reads <paramref name="rows"/> rows of <paramref name="featureLength"/> floats into <paramref name="slice"/>, a
    /// slice at a time; yields the rows each slice holds (the slice is overwritten by the next one).
    /// </summary>
    /// <exception cref="FacePipelineException">Damaged pages, nulls, or rows not of <paramref name="featureLength"/> values.</exception>
    public IEnumerable<int> ReadRows(long rows, int featureLength, float[] slice)
    {
        int sliceRows = slice.Length / featureLength;
        int rowInSlice = 0;
        int valueInRow = 0;
        long rowsRead = 0;
        while (rowsRead + rowInSlice < rows || valueInRow > 0)
        {
            PageValues page = NextDataPage();
            for (int k = 0; k < page.Count; k++)
            {
                int repetition = page.Repetition.Next();
                if (page.Definition.Next() != maxDefinition || (repetition == 0) != (valueInRow == 0))
                {
                    throw new FacePipelineException(InconsistentRows(featureLength));
                }

                slice[(rowInSlice * featureLength) + valueInRow] = page.NextValue();
                if (++valueInRow < featureLength)
                {
                    continue;
                }

                valueInRow = 0;
                if (++rowInSlice == sliceRows)
                {
                    yield return rowInSlice;
                    rowsRead += rowInSlice;
                    rowInSlice = 0;
                }
            }

            page.Finish();
        }

        if (rowInSlice > 0)
        {
            yield return rowInSlice;
            rowsRead += rowInSlice;
        }

        if (rowsRead != rows)
        {
            throw new FacePipelineException(InconsistentRows(featureLength));
        }
    }

    public void Dispose() => stream.Dispose();

    /// <summary>
    /// Whether a page is decoded as it is read, never held whole: PLAIN data pages, uncompressed or compressed with a
    /// codec that decompresses as a stream in a small window. Dictionary and BYTE_STREAM_SPLIT values, and zstd, Brotli or
    /// LZ4 pages (windows up to the page), are read whole.
    /// </summary>
    private static bool Streams(ParquetPageHeader header, CompressionCodec codec) =>
        header.Type is PageType.DATA_PAGE or PageType.DATA_PAGE_V2 && header.Encoding == Encoding.PLAIN
        && (codec is CompressionCodec.UNCOMPRESSED or CompressionCodec.SNAPPY or CompressionCodec.GZIP || !header.IsCompressed);

    /// <summary>
    /// What a streamed page holds: its levels (v2 gives their size; in v1 one repetition and one definition level of
    /// at most 2 bits each per 32-bit value take at most an eighth of the body) and the read and decompression buffers.
    /// </summary>
    private static long StreamedPageBytes(ParquetPageHeader header) =>
        (header.Type == PageType.DATA_PAGE_V2 ? header.RepetitionLevelsLength + header.DefinitionLevelsLength : header.UncompressedSize / 8) + StreamBufferBytes;

    private static long ChunkStart(ColumnMetaData meta) =>
        meta.DictionaryPageOffset is long dictionary && dictionary > 0 && dictionary < meta.DataPageOffset ? dictionary : meta.DataPageOffset;

    private static int BitWidth(int maxLevel) => maxLevel == 0 ? 0 : 32 - int.LeadingZeroCount(maxLevel);

    private string InconsistentRows(int featureLength) =>
        $"{file}: feature vectors of inconsistent length or with nulls (expected {featureLength} per row); re-write the cache with one vector of that length per row";

    /// <summary>Reads pages up to the next data page, keeping a dictionary page on the way, and decodes its levels and values.</summary>
    private PageValues NextDataPage()
    {
        while (true)
        {
            if (stream.Position >= chunkEnd)
            {
                throw new FacePipelineException($"{file}: the feature column ends before its rows; delete the part and re-write it");
            }

            ParquetPageHeader header = ParquetPageHeader.Read(stream);
            if (Streams(header, codec))
            {
                return StreamedPage(header);
            }

            compressed = Fill(compressed, header.CompressedSize);
            stream.ReadExactly(compressed, 0, header.CompressedSize);
            switch (header.Type)
            {
                case PageType.DICTIONARY_PAGE:
                    int size = Decompress(compressed, 0, header.CompressedSize, header.UncompressedSize);
                    dictionary = new float[header.ValueCount];
                    for (int i = 0; i < dictionary.Length; i++)
                    {
                        dictionary[i] = BinaryPrimitives.ReadSingleLittleEndian(body.AsSpan(i * sizeof(float), Math.Min(sizeof(float), size - (i * sizeof(float)))));
                    }

                    break;
                case PageType.DATA_PAGE:
                    return DataPageV1(header);
                case PageType.DATA_PAGE_V2:
                    return DataPageV2(header);
                default:
                    break;
            }
        }
    }

    /// <summary>A PLAIN data page decoded while it is read: levels first (small), then the floats through a small buffer.</summary>
    private PageValues StreamedPage(ParquetPageHeader header)
    {
        var raw = new BoundedReadStream(stream, header.CompressedSize);
        bool v2 = header.Type == PageType.DATA_PAGE_V2;
        Stream levels = v2 ? raw : Decompressing(raw, true);
        RleBitPackedDecoder Levels(int width, int v2Length)
        {
            if (width == 0)
            {
                return new RleBitPackedDecoder([], 0, 0, 0);
            }

            int length = v2Length;
            if (!v2)
            {
                Span<byte> prefix = stackalloc byte[4];
                levels.ReadExactly(prefix);
                length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
            }

            byte[] bytes = new byte[length];
            levels.ReadExactly(bytes);
            return new RleBitPackedDecoder(bytes, 0, length, width);
        }

        RleBitPackedDecoder repetition = Levels(repetitionWidth, header.RepetitionLevelsLength);
        RleBitPackedDecoder definition = Levels(definitionWidth, header.DefinitionLevelsLength);
        Stream values = v2 ? Decompressing(raw, header.IsCompressed) : levels;
        var floats = new PlainFloatReader(values);
        return new PageValues(header.ValueCount, repetition, definition, floats.Next, () =>
        {
            values.Dispose();
            raw.SkipRest();
        });
    }

    /// <summary>The page body decompressed as a stream (only for the codecs <see cref="Streams"/> admits).</summary>
    private Stream Decompressing(Stream raw, bool isCompressed) => !isCompressed ? raw : codec switch
    {
        CompressionCodec.SNAPPY => new SnappyBlockStream(raw),
        CompressionCodec.GZIP => new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true),
        _ => raw,
    };

    private PageValues DataPageV1(ParquetPageHeader header)
    {
        int size = Decompress(compressed, 0, header.CompressedSize, header.UncompressedSize);
        int position = 0;
        RleBitPackedDecoder Levels(int width)
        {
            if (width == 0)
            {
                return new RleBitPackedDecoder(body, 0, 0, 0);
            }

            int length = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position, 4));
            var decoder = new RleBitPackedDecoder(body, position + 4, checked(position + 4 + length), width);
            position = checked(position + 4 + length);
            return decoder;
        }

        RleBitPackedDecoder repetition = Levels(repetitionWidth);
        RleBitPackedDecoder definition = Levels(definitionWidth);
        return new PageValues(header.ValueCount, repetition, definition, Values(header, body, position, size), () => { });
    }

    private PageValues DataPageV2(ParquetPageHeader header)
    {
        int levels = header.RepetitionLevelsLength + header.DefinitionLevelsLength;
        var repetition = new RleBitPackedDecoder(compressed, 0, header.RepetitionLevelsLength, repetitionWidth);
        var definition = new RleBitPackedDecoder(compressed, header.RepetitionLevelsLength, levels, definitionWidth);
        if (!header.IsCompressed || codec == CompressionCodec.UNCOMPRESSED)
        {
            return new PageValues(header.ValueCount, repetition, definition, Values(header, compressed, levels, header.CompressedSize), () => { });
        }

        int size = Decompress(compressed, levels, header.CompressedSize - levels, header.UncompressedSize - levels);
        return new PageValues(header.ValueCount, repetition, definition, Values(header, body, 0, size), () => { });
    }

    /// <summary>The page's values one after the other, for the page's encoding (every position holds one: no nulls).</summary>
    private Func<float> Values(ParquetPageHeader header, byte[] data, int start, int end)
    {
        int count = header.ValueCount;
        int k = -1;
        switch (header.Encoding)
        {
            case Encoding.PLAIN:
                Need(data.Length >= start + ((long)count * sizeof(float)) && end - start >= (long)count * sizeof(float));
                return () => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(start + (++k * sizeof(float)), sizeof(float)));
            case Encoding.BYTE_STREAM_SPLIT:
                Need(end - start >= (long)count * sizeof(float));
                return () =>
                {
                    k++;
                    return BitConverter.Int32BitsToSingle(
                        data[start + k] | (data[start + count + k] << 8) | (data[start + (2 * count) + k] << 16) | (data[start + (3 * count) + k] << 24));
                };
            case Encoding.PLAIN_DICTIONARY or Encoding.RLE_DICTIONARY:
                Need(end > start);
                var indices = new RleBitPackedDecoder(data, start + 1, end, data[start]);
                float[] entries = dictionary;
                return () =>
                {
                    int index = indices.Next();
                    return (uint)index < (uint)entries.Length ? entries[index] : throw new InvalidDataException("dictionary index out of range");
                };
            default:
                throw new FacePipelineException($"{file}: features encoded as {header.Encoding}, which this reader does not decode; re-write the cache with PLAIN, dictionary or BYTE_STREAM_SPLIT floats");
        }
    }

    /// <summary>Decompresses <paramref name="length"/> bytes of <paramref name="source"/> into <see cref="body"/>; returns the bytes written.</summary>
    private int Decompress(byte[] source, int offset, int length, int uncompressedSize)
    {
        body = Fill(body, uncompressedSize);
        ReadOnlySpan<byte> input = source.AsSpan(offset, length);
        Span<byte> output = body.AsSpan(0, uncompressedSize);
        switch (codec)
        {
            case CompressionCodec.UNCOMPRESSED:
                input.CopyTo(output);
                return length;
            case CompressionCodec.SNAPPY:
                return Snappier.Snappy.Decompress(input, output);
            case CompressionCodec.ZSTD:
                using (var zstd = new ZstdSharp.Decompressor())
                {
                    return zstd.Unwrap(input, output);
                }

            case CompressionCodec.GZIP:
                using (var gzip = new GZipStream(new MemoryStream(source, offset, length), CompressionMode.Decompress))
                {
                    gzip.ReadExactly(output);
                    return uncompressedSize;
                }

            case CompressionCodec.BROTLI:
                return BrotliDecoder.TryDecompress(input, output, out int written) ? written : throw new InvalidDataException("damaged Brotli page");
            case CompressionCodec.LZ4_RAW:
                return K4os.Compression.LZ4.LZ4Codec.Decode(input, output);
            default:
                throw new FacePipelineException($"{file}: features compressed with {codec}, which this reader does not decompress; re-write the cache with snappy, zstd, gzip, brotli, lz4_raw or none");
        }
    }

    private static byte[] Fill(byte[] buffer, int size) => buffer.Length >= size ? buffer : new byte[size];

    private static void Need(bool condition)
    {
        if (!condition)
        {
            throw new InvalidDataException("page shorter than its values");
        }
    }

    /// <summary>One data page, decoded lazily: its levels, its values in order, and what to do once it is consumed.</summary>
    private sealed record PageValues(int Count, RleBitPackedDecoder Repetition, RleBitPackedDecoder Definition, Func<float> NextValue, Action Finish);

    /// <summary>PLAIN little-endian floats from a stream, through a 64 KiB buffer.</summary>
    private sealed class PlainFloatReader(Stream source)
    {
        private readonly byte[] buffer = new byte[1 << 16];
        private int position;
        private int filled;

        public float Next()
        {
            if (filled - position < sizeof(float))
            {
                int kept = filled - position;
                buffer.AsSpan(position, kept).CopyTo(buffer);
                filled = kept + source.ReadAtLeast(buffer.AsSpan(kept), sizeof(float) - kept, throwOnEndOfStream: false);
                position = 0;
                if (filled < sizeof(float))
                {
                    throw new InvalidDataException("page shorter than its values");
                }
            }

            float value = BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(position, sizeof(float)));
            position += sizeof(float);
            return value;
        }
    }
}
