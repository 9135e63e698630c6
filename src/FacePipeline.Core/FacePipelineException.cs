namespace FacePipeline;

/// <summary>
/// Every expected failure of the pipeline (bad data, a refused cache, a head or backbone that does not fit): the
/// message is one line naming the subject, the problem and what to do. The programs map this type to an exit code with
/// the message alone; anything else is a bug and keeps its stack trace. Thrown as is; a subclass exists only where
/// something catches it by type (<see cref="Backbones.BackboneException"/>, <see cref="Imaging.ImageDecodeException"/>).
/// </summary>
public class FacePipelineException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FacePipelineException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public FacePipelineException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public FacePipelineException()
    {
    }
}
