namespace FacePipeline.Bench;

/// <summary>The benchmark cannot run as asked; the message names the subject and what to do.</summary>
internal sealed class BenchException : Exception
{
    public BenchException(string message)
        : base(message)
    {
    }

    public BenchException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BenchException()
    {
    }
}
