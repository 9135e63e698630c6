namespace FacePipeline.Cli;

/// <summary>
/// An <see cref="IProgress{T}"/> that reports on the caller's thread, in order (the framework's
/// <c>Progress&lt;T&gt;</c> posts to the thread pool, which reorders lines and can print after the run ends).
/// </summary>
public sealed class SynchronousProgress<T> : IProgress<T>
{
    private readonly Action<T> handler;
    private readonly Lock gate = new();

    /// <summary>Creates the reporter.</summary>
    public SynchronousProgress(Action<T> handler)
    {
        this.handler = handler;
    }

    /// <inheritdoc />
    public void Report(T value)
    {
        lock (gate)
        {
            handler(value);
        }
    }
}
