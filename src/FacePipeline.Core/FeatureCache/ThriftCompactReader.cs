namespace FacePipeline.FeatureCache;

/// <summary>
/// The part of Apache Thrift's compact protocol that Parquet page headers use: field headers, zigzag varints, nested
/// structs, and skipping any field this reader does not need (statistics, encryption, future fields). Parquet.Net
/// 6.1 keeps its own Thrift reader internal, and page headers are all <see cref="FeaturePageReader"/> decodes.
/// Source: thrift/doc/specs/thrift-compact-protocol.md.
/// </summary>
internal sealed class ThriftCompactReader(Stream stream)
{
    /// <summary>Compact type of a field whose value is <c>true</c> (booleans live in the field header).</summary>
    public const int BooleanTrue = 1;

    /// <summary>Compact type of a nested struct.</summary>
    public const int Struct = 12;

    private const int Stop = 0;
    private readonly Stack<short> lastFieldIds = new();
    private short lastFieldId;

    /// <summary>Enters a struct: field ids are deltas from the previous field of the same struct.</summary>
    public void BeginStruct()
    {
        lastFieldIds.Push(lastFieldId);
        lastFieldId = 0;
    }

    /// <summary>Leaves the struct entered last.</summary>
    public void EndStruct() => lastFieldId = lastFieldIds.Pop();

    /// <summary>Reads the next field header; false at the struct's end.</summary>
    public bool NextField(out short id, out int type)
    {
        int header = ReadByte();
        type = header & 0x0F;
        if (type == Stop)
        {
            id = 0;
            return false;
        }

        int delta = header >> 4;
        id = delta == 0 ? (short)ReadZigZag() : (short)(lastFieldId + delta);
        lastFieldId = id;
        return true;
    }

    /// <summary>Reads an i16, i32 or i64 value (zigzag varint).</summary>
    public long ReadInteger() => ReadZigZag();

    /// <summary>Reads an i32 value, refusing one out of range.</summary>
    public int ReadInt32() => checked((int)ReadZigZag());

    /// <summary>Skips the value of a field of compact type <paramref name="type"/>.</summary>
    public void Skip(int type)
    {
        switch (type)
        {
            case BooleanTrue or 2:
                break;
            case 3:
                ReadByte();
                break;
            case 4 or 5 or 6:
                ReadVarint();
                break;
            case 7:
                SkipBytes(8);
                break;
            case 8:
                SkipBytes(checked((int)ReadVarint()));
                break;
            case 9 or 10:
                SkipList();
                break;
            case 11:
                SkipMap();
                break;
            case Struct:
                BeginStruct();
                while (NextField(out _, out int fieldType))
                {
                    Skip(fieldType);
                }

                EndStruct();
                break;
            default:
                throw new InvalidDataException($"unknown Thrift compact type {type}");
        }
    }

    private void SkipList()
    {
        int header = ReadByte();
        long size = header >> 4 == 15 ? (long)ReadVarint() : header >> 4;
        for (long i = 0; i < size; i++)
        {
            // Booleans inside a list take one byte each.
            Skip((header & 0x0F) is BooleanTrue or 2 ? 3 : header & 0x0F);
        }
    }

    private void SkipMap()
    {
        long size = (long)ReadVarint();
        if (size == 0)
        {
            return;
        }

        int types = ReadByte();
        for (long i = 0; i < size; i++)
        {
            Skip((types >> 4) is BooleanTrue or 2 ? 3 : types >> 4);
            Skip((types & 0x0F) is BooleanTrue or 2 ? 3 : types & 0x0F);
        }
    }

    private long ReadZigZag()
    {
        ulong value = ReadVarint();
        return (long)(value >> 1) ^ -(long)(value & 1);
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("Thrift varint longer than 64 bits");
    }

    private void SkipBytes(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ReadByte();
        }
    }

    private int ReadByte()
    {
        int b = stream.ReadByte();
        return b >= 0 ? b : throw new EndOfStreamException("page header cut short");
    }
}
