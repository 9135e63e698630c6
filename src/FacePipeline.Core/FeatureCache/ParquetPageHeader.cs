using Parquet.Meta;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The fields of a Parquet page header (parquet-format's <c>PageHeader</c>, <c>DataPageHeader</c>,
/// <c>DataPageHeaderV2</c>, <c>DictionaryPageHeader</c>) that decoding a page needs.
/// </summary>
/// <param name="Type">Data (v1 or v2), dictionary or index page.</param>
/// <param name="UncompressedSize">Bytes of the page body once decompressed (v2: levels included).</param>
/// <param name="CompressedSize">Bytes of the page body in the file.</param>
/// <param name="ValueCount">Levels in a data page (nulls included), entries in a dictionary page.</param>
/// <param name="Encoding">How the values are encoded.</param>
/// <param name="RepetitionLevelsLength">v2: bytes of the uncompressed repetition levels at the body's start.</param>
/// <param name="DefinitionLevelsLength">v2: bytes of the uncompressed definition levels after them.</param>
/// <param name="IsCompressed">v2: whether the values section is compressed (v1 bodies always are, when the chunk has a codec).</param>
internal sealed record ParquetPageHeader(
    PageType Type, int UncompressedSize, int CompressedSize, int ValueCount, Encoding Encoding, int RepetitionLevelsLength, int DefinitionLevelsLength, bool IsCompressed)
{
    /// <summary>Reads one page header from <paramref name="stream"/>, leaving it at the page body.</summary>
    /// <exception cref="InvalidDataException">A damaged or cut header.</exception>
    public static ParquetPageHeader Read(Stream stream)
    {
        var thrift = new ThriftCompactReader(stream);
        var header = new ParquetPageHeader(PageType.DATA_PAGE, -1, -1, -1, Encoding.PLAIN, 0, 0, true);
        thrift.BeginStruct();
        while (thrift.NextField(out short id, out int type))
        {
            header = (id, type) switch
            {
                (1, 5) => header with { Type = (PageType)thrift.ReadInt32() },
                (2, 5) => header with { UncompressedSize = thrift.ReadInt32() },
                (3, 5) => header with { CompressedSize = thrift.ReadInt32() },
                (5 or 7 or 8, ThriftCompactReader.Struct) => ReadPageKind(thrift, header, id),
                _ => SkipField(thrift, header, type),
            };
        }

        thrift.EndStruct();
        if (header.UncompressedSize < 0 || header.CompressedSize < 0 || (header.Type != PageType.INDEX_PAGE && header.ValueCount < 0))
        {
            throw new InvalidDataException("page header without sizes or value count");
        }

        return header;
    }

    /// <summary>Reads the nested header of a v1 data page (5), dictionary page (7) or v2 data page (8).</summary>
    private static ParquetPageHeader ReadPageKind(ThriftCompactReader thrift, ParquetPageHeader header, short kind)
    {
        thrift.BeginStruct();
        while (thrift.NextField(out short id, out int type))
        {
            header = (kind, id, type) switch
            {
                (_, 1, 5) => header with { ValueCount = thrift.ReadInt32() },
                (5 or 7, 2, 5) => header with { Encoding = (Encoding)thrift.ReadInt32() },
                (8, 4, 5) => header with { Encoding = (Encoding)thrift.ReadInt32() },
                (8, 5, 5) => header with { DefinitionLevelsLength = thrift.ReadInt32() },
                (8, 6, 5) => header with { RepetitionLevelsLength = thrift.ReadInt32() },
                (8, 7, ThriftCompactReader.BooleanTrue or 2) => header with { IsCompressed = type == ThriftCompactReader.BooleanTrue },
                _ => SkipField(thrift, header, type),
            };
        }

        thrift.EndStruct();
        return header;
    }

    private static ParquetPageHeader SkipField(ThriftCompactReader thrift, ParquetPageHeader header, int type)
    {
        thrift.Skip(type);
        return header;
    }
}
