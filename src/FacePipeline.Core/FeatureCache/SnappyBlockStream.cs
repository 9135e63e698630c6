namespace FacePipeline.FeatureCache;

/// <summary>
/// Decompresses one raw Snappy block (the format Parquet's SNAPPY codec uses) as a stream, keeping only the last
/// 64 KiB of output, so a 200 MB page is never held. Snappier (and the reference library) decode a block only whole.
/// Snappy's compressors work on 64 KiB fragments, so no copy reaches further back; one that does is refused.
/// Source: google/snappy format_description.txt.
/// </summary>
internal sealed class SnappyBlockStream : Stream
{
    private const int Window = 1 << 16;
    private readonly Stream input;
    private readonly byte[] history = new byte[Window];
    private long produced;
    private long remaining;
    private int literalLeft;
    private int copyLeft;
    private int copyOffset;

    /// <summary>Reads the block's length preamble from <paramref name="input"/>.</summary>
    public SnappyBlockStream(Stream input)
    {
        this.input = input;
        remaining = (long)ReadVarint();
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => produced; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int written = 0;
        while (written < buffer.Length && remaining > 0)
        {
            if (literalLeft == 0 && copyLeft == 0)
            {
                ReadTag();
            }

            int n;
            if (literalLeft > 0)
            {
                n = (int)Math.Min(Math.Min(literalLeft, buffer.Length - written), remaining);
                input.ReadExactly(buffer.Slice(written, n));
                literalLeft -= n;
            }
            else
            {
                // Copies may overlap their own output (offset < length): copy at most one offset's worth at a time.
                n = (int)Math.Min(Math.Min(Math.Min(copyLeft, buffer.Length - written), copyOffset), remaining);
                for (int i = 0; i < n; i++)
                {
                    buffer[written + i] = history[(int)((produced + i - copyOffset) & (Window - 1))];
                }

                copyLeft -= n;
            }

            Remember(buffer.Slice(written, n));
            written += n;
            remaining -= n;
        }

        return written;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Remember(ReadOnlySpan<byte> output)
    {
        if (output.Length > Window)
        {
            produced += output.Length - Window;
            output = output[^Window..];
        }

        int at = (int)(produced & (Window - 1));
        int first = Math.Min(output.Length, Window - at);
        output[..first].CopyTo(history.AsSpan(at));
        output[first..].CopyTo(history);
        produced += output.Length;
    }

    private void ReadTag()
    {
        int tag = NextInputByte();
        switch (tag & 3)
        {
            case 0:
                int length = tag >> 2;
                if (length >= 60)
                {
                    int bytes = length - 59;
                    length = 0;
                    for (int i = 0; i < bytes; i++)
                    {
                        length |= NextInputByte() << (8 * i);
                    }
                }

                literalLeft = checked(length + 1);
                return;
            case 1:
                copyLeft = 4 + ((tag >> 2) & 7);
                copyOffset = ((tag >> 5) << 8) | NextInputByte();
                break;
            case 2:
                copyLeft = 1 + (tag >> 2);
                copyOffset = NextInputByte() | (NextInputByte() << 8);
                break;
            default:
                copyLeft = 1 + (tag >> 2);
                copyOffset = NextInputByte() | (NextInputByte() << 8) | (NextInputByte() << 16) | (NextInputByte() << 24);
                break;
        }

        if (copyOffset <= 0 || copyOffset >= Window || copyOffset > produced)
        {
            throw new InvalidDataException($"Snappy copy from {copyOffset} bytes back, outside the 64 KiB window");
        }
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = NextInputByte();
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("Snappy length longer than 64 bits");
    }

    private int NextInputByte()
    {
        int b = input.ReadByte();
        return b >= 0 ? b : throw new InvalidDataException("Snappy block cut short");
    }
}
