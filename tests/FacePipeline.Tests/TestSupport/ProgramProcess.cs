using System.Diagnostics;
using System.Text;

namespace FacePipeline.Tests.TestSupport;

/// <summary>Launches a built program (<c>dotnet NAME.dll</c> from the test's output folder) as a real process.</summary>
public sealed class ProgramProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StringBuilder error = new();
    private readonly object gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> waiters = [];

    private ProgramProcess(ProcessStartInfo start)
    {
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(output, e.Data, false);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data, true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The process id.</summary>
    public int Id => process.Id;

    /// <summary>Starts <paramref name="program"/> (Extract, TrainHead, Predict) with <paramref name="args"/>.</summary>
    public static ProgramProcess Start(string program, params string[] args) => StartIn(Environment.CurrentDirectory, program, args);

    /// <summary>Starts <paramref name="program"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static ProgramProcess StartIn(string workingDirectory, string program, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program + ".dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ProgramProcess(start);
    }

    /// <summary>Completes when the process writes a stderr line matching <paramref name="match"/> (or exits without one: then it throws).</summary>
    public Task ErrorLineAsync(Func<string, bool> match)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (error.ToString().Split('\n').Any(match))
            {
                return Task.CompletedTask;
            }

            waiters.Add((match, seen));
        }

        _ = process.WaitForExitAsync().ContinueWith(_ => seen.TrySetException(new InvalidOperationException("exited without that line: " + error)), TaskScheduler.Default);
        return seen.Task;
    }

    /// <summary>Sends SIGTERM.</summary>
    public void Terminate() => Signal("-TERM");

    /// <summary>Sends SIGINT (what Ctrl-C sends).</summary>
    public void Interrupt() => Signal("-INT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the exit and returns the exit code and what was written.</summary>
    public async Task<CliRun> WaitAsync()
    {
        await process.WaitForExitAsync();
        // The parameterless wait also drains the redirected streams.
        process.WaitForExit();
        lock (gate)
        {
            return new CliRun(process.ExitCode, output.ToString(), error.ToString());
        }
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

    private void Append(StringBuilder text, string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            text.Append(line).Append('\n');
            if (!isError)
            {
                return;
            }

            foreach ((Func<string, bool> match, TaskCompletionSource seen) in waiters.Where(w => w.Match(line)).ToList())
            {
                seen.TrySetResult();
                waiters.RemoveAll(w => w.Seen == seen);
            }
        }
    }
}
