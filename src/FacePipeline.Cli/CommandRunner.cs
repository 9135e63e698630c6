using System.CommandLine;

namespace FacePipeline.Cli;

/// <summary>
/// The one place that maps a command's outcome to an exit code: parse errors and <see cref="UsageException"/> give 2
/// with one line each, expected failures (any <see cref="FacePipelineException"/>, I/O) give 1 with one line, a run
/// stopped by SIGTERM/SIGINT (its cancellation token) gives 143/130 with one line; anything else is a bug and keeps
/// its stack trace.
/// </summary>
public static class CommandRunner
{
    /// <summary>
    /// A program's entry point: runs <paramref name="run"/> on the console with SIGTERM and SIGINT turned into
    /// cancellation (<see cref="TerminationSignal"/>).
    /// </summary>
    public static async Task<int> MainAsync(Func<string[], CommandIo, CancellationToken, Task<int>> run, string[] args)
    {
        ArgumentNullException.ThrowIfNull(run);
        using TerminationSignal signal = TerminationSignal.Register();
        int code = await run(args, CommandIo.Console, signal.Token);
        return signal.Received is null || code is ExitCodes.Success or ExitCodes.Usage ? code : signal.ExitCode;
    }

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the chosen action.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in result.Errors)
            {
                io.WriteError(error.Message);
            }

            io.WriteNote($"run '{root.Name} --help' for usage");
            return ExitCodes.Usage;
        }

        try
        {
            // ProcessTerminationTimeout off: System.CommandLine would otherwise catch SIGTERM itself and return 143
            // after 2 s whether or not the command has committed its work; MainAsync handles the signals.
            var configuration = new InvocationConfiguration
            {
                Output = io.Out,
                Error = io.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return await result.InvokeAsync(configuration, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            io.WriteError($"{root.Name}: stopped by a termination signal; work already committed is kept, run the same command again to finish");
            return ExitCodes.Terminated;
        }
        catch (UsageException error)
        {
            io.WriteError(error.Message);
            return ExitCodes.Usage;
        }
        catch (Exception error) when (error is FacePipelineException or IOException or UnauthorizedAccessException)
        {
            io.WriteError(error.Message);
            return ExitCodes.Failed;
        }
    }

    /// <summary>Fails with a usage error unless <paramref name="path"/> is an existing file; a folder is named as one.</summary>
    public static string RequireFile(string path, string what)
    {
        return File.Exists(path) ? path
            : Directory.Exists(path) ? throw new UsageException($"{path}: is a folder, not a file ({what}); give a file{(what == "image" ? ", or the folder with --images" : string.Empty)}")
            : throw new UsageException($"{path}: {what} not found");
    }

    /// <summary>Fails with a usage error unless <paramref name="path"/> is an existing folder.</summary>
    public static string RequireFolder(string path, string what)
    {
        return Directory.Exists(path) ? path : throw new UsageException($"{path}: {what} not found");
    }
}
