namespace FacePipeline.Imaging;

/// <summary>An image could not be turned into pixels; the message is the reason, written for a person.</summary>
public sealed class ImageDecodeException : FacePipelineException
{
    /// <summary>Creates the exception with its reason.</summary>
    public ImageDecodeException(string reason)
        : base(reason)
    {
    }

    /// <summary>Creates the exception with its reason and the decoder's own error.</summary>
    public ImageDecodeException(string reason, Exception inner)
        : base(reason, inner)
    {
    }

    /// <summary>Creates the exception without a reason (serialisation and analyzers need it).</summary>
    public ImageDecodeException()
    {
    }
}
