namespace FacePipeline.FeatureCache;

/// <summary>The next <c>length</c> bytes of a stream as a stream of their own (one page body); reading past them ends it.</summary>
internal sealed class BoundedReadStream(Stream inner, long length) : Stream
{
    private readonly long size = length;
    private long left = length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => size;

    public override long Position { get => size - left; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        left -= n;
        return n;
    }

    public override int ReadByte()
    {
        if (left == 0)
        {
            return -1;
        }

        left--;
        return inner.ReadByte();
    }

    /// <summary>Moves the inner stream past whatever of the body was not read.</summary>
    public void SkipRest()
    {
        inner.Seek(left, SeekOrigin.Current);
        left = 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
