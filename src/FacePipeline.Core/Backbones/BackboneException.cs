namespace FacePipeline.Backbones;

/// <summary>A backbone cannot be found, described, loaded or run as asked; the message names the file and what to do.</summary>
public sealed class BackboneException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public BackboneException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public BackboneException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public BackboneException()
    {
    }
}
