using System.Runtime.InteropServices;

namespace FacePipeline.Cli;

/// <summary>
/// Turns SIGTERM (what Kubernetes and Slurm send before SIGKILL) and SIGINT (Ctrl-C) into a cancellation of the
/// running command instead of an immediate exit, so it can keep the work it finished (Extract commits the rows
/// computed so far); <see cref="CommandRunner"/> then exits with 128 + the signal number.
/// </summary>
public sealed class TerminationSignal : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly PosixSignalRegistration[] registrations;

    private TerminationSignal()
    {
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
        ];
    }

    /// <summary>Cancelled when a termination signal arrives.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The signal that arrived, or null.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>The exit code for a run stopped by <see cref="Received"/> (143 for SIGTERM, 130 for SIGINT).</summary>
    public int ExitCode => Received == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated;

    /// <summary>Starts handling SIGTERM and SIGINT for this process.</summary>
    public static TerminationSignal Register() => new();

    /// <summary>Stops handling the signals (the default action applies again).</summary>
    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in registrations)
        {
            registration.Dispose();
        }

        source.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        // A second signal while stopping gets the default action (the process ends at once).
        if (Received is not null)
        {
            return;
        }

        context.Cancel = true;
        Received = context.Signal;
        source.Cancel();
    }
}
