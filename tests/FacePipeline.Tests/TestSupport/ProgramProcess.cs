using System.Diagnostics;

namespace FacePipeline.Tests.TestSupport;

/// <summary>Launches a built program (<c>dotnet NAME.dll</c> from the test's output folder) as a real process.</summary>
public sealed class ProgramProcess : IDisposable
{
    private readonly Process process;
    private readonly Task<string> output;
    private readonly Task<string> error;

    private ProgramProcess(Process process)
    {
        this.process = process;
        output = process.StandardOutput.ReadToEndAsync();
        error = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The process id.</summary>
    public int Id => process.Id;

    /// <summary>Starts <paramref name="program"/> (Extract, TrainHead, Predict) with <paramref name="args"/>.</summary>
    public static ProgramProcess Start(string program, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program + ".dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ProgramProcess(Process.Start(start)!);
    }

    /// <summary>Waits for the exit and returns the exit code and what was written.</summary>
    public async Task<CliRun> WaitAsync()
    {
        await process.WaitForExitAsync();
        return new CliRun(process.ExitCode, await output, await error);
    }

    /// <summary>Kills the process (and its children) if it still runs.</summary>
    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
