namespace FacePipeline;

/// <summary>
/// The base of every expected failure of the pipeline (bad data, a refused cache, a head or backbone that does not
/// fit): the message is one line naming the subject, the problem and what to do. The programs map this base to an
/// exit code with the message alone; anything else is a bug and keeps its stack trace.
/// </summary>
public abstract class FacePipelineException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected FacePipelineException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    protected FacePipelineException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    protected FacePipelineException()
    {
    }
}
