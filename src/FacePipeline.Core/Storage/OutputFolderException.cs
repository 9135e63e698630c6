namespace FacePipeline.Storage;

/// <summary>An output folder or file that may not be written or replaced (see <see cref="OutputFolderGuard"/>, <see cref="OutputFileGuard"/>); the message is one line.</summary>
public sealed class OutputFolderException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public OutputFolderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public OutputFolderException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public OutputFolderException()
    {
    }
}
