namespace FacePipeline.Dataset;

/// <summary>An image folder or manifest cannot be read as asked; the message names the file and the problem.</summary>
public sealed class ImageSetException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public ImageSetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public ImageSetException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ImageSetException()
    {
    }
}
