namespace FacePipeline.Cli;

/// <summary>The command line asks for something impossible (a missing input, conflicting options): exit code 2.</summary>
public sealed class UsageException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public UsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public UsageException()
    {
    }
}
