using System.CommandLine;

namespace FacePipeline.Cli;

/// <summary>
/// The one place that maps a command's outcome to an exit code: parse errors and <see cref="UsageException"/> give 2
/// with one line each, expected failures (any <see cref="FacePipelineException"/>, I/O) give 1 with one line;
/// anything else is a bug and keeps its stack trace.
/// </summary>
public static class CommandRunner
{
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
            return await result.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
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

    /// <summary>Fails with a usage error unless <paramref name="path"/> is an existing file.</summary>
    public static string RequireFile(string path, string what)
    {
        return File.Exists(path) ? path : throw new UsageException($"{path}: {what} not found");
    }

    /// <summary>Fails with a usage error unless <paramref name="path"/> is an existing folder.</summary>
    public static string RequireFolder(string path, string what)
    {
        return Directory.Exists(path) ? path : throw new UsageException($"{path}: {what} not found");
    }
}
