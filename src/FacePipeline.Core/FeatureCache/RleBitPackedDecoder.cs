namespace FacePipeline.FeatureCache;

/// <summary>
/// Decodes Parquet's RLE/bit-packed hybrid encoding one value at a time (levels and dictionary indices): runs of one
/// repeated value, and groups of 8 values packed least-significant bit first. Source: parquet-format Encodings.md.
/// </summary>
internal sealed class RleBitPackedDecoder
{
    private readonly byte[] data;
    private readonly int end;
    private readonly int bitWidth;
    private int position;
    private int repeatLeft;
    private int repeatValue;
    private int packedLeft;
    private long packedBitPosition;

    /// <summary>A decoder of <paramref name="bitWidth"/>-bit values in <paramref name="data"/>[<paramref name="start"/>, <paramref name="end"/>).</summary>
    public RleBitPackedDecoder(byte[] data, int start, int end, int bitWidth)
    {
        if (bitWidth is < 0 or > 32)
        {
            throw new InvalidDataException($"bit width {bitWidth} out of range");
        }

        this.data = data;
        this.end = end;
        this.bitWidth = bitWidth;
        position = start;
    }

    /// <summary>The next value.</summary>
    /// <exception cref="InvalidDataException">The encoded data ends before the value.</exception>
    public int Next()
    {
        if (bitWidth == 0)
        {
            return 0;
        }

        if (repeatLeft == 0 && packedLeft == 0)
        {
            ReadRunHeader();
        }

        if (repeatLeft > 0)
        {
            repeatLeft--;
            return repeatValue;
        }

        packedLeft--;
        int value = 0;
        for (int bit = 0; bit < bitWidth; bit++, packedBitPosition++)
        {
            int index = (int)(packedBitPosition >> 3);
            if (index >= end)
            {
                throw new InvalidDataException("bit-packed run cut short");
            }

            value |= ((data[index] >> (int)(packedBitPosition & 7)) & 1) << bit;
        }

        return value;
    }

    private void ReadRunHeader()
    {
        ulong header = ReadVarint();
        if ((header & 1) == 0)
        {
            repeatLeft = checked((int)(header >> 1));
            int bytes = (bitWidth + 7) / 8;
            repeatValue = 0;
            for (int i = 0; i < bytes; i++)
            {
                repeatValue |= ReadByte() << (8 * i);
            }

            if (repeatLeft == 0)
            {
                throw new InvalidDataException("empty RLE run");
            }

            return;
        }

        int groups = checked((int)(header >> 1));
        packedLeft = checked(groups * 8);
        packedBitPosition = (long)position * 8;
        position = checked(position + (groups * bitWidth));
        if (packedLeft == 0 || position > end)
        {
            throw new InvalidDataException("bit-packed run cut short");
        }
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

        throw new InvalidDataException("RLE run header longer than 64 bits");
    }

    private int ReadByte() => position < end ? data[position++] : throw new InvalidDataException("RLE data cut short");
}
