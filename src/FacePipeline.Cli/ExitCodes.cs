namespace FacePipeline.Cli;

/// <summary>Exit codes shared by the three programs (documented in the README).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The run failed (bad data, a refused cache or head, an I/O error, bad images with --strict).</summary>
    public const int Failed = 1;

    /// <summary>Usage error: unknown option, missing or malformed value, missing input path.</summary>
    public const int Usage = 2;

    /// <summary><c>Predict evaluate</c>: accuracy below <c>--min-accuracy</c>, or more strangers named than <c>--max-far</c> allows.</summary>
    public const int BelowMinimumAccuracy = 3;

    /// <summary>Stopped by SIGINT (Ctrl-C), 128 + 2; work already committed is kept.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (Kubernetes, Slurm), 128 + 15; work already committed is kept.</summary>
    public const int Terminated = 143;
}
