namespace FacePipeline.Head;

/// <summary>A head cannot be trained, written or loaded as asked; the message names the file and what to do.</summary>
public sealed class HeadException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public HeadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public HeadException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public HeadException()
    {
    }
}
