using System.Diagnostics;

namespace FacePipeline.Tests.TestSupport;

/// <summary>Runs a program to its end and returns its exit code and output (stdout then stderr).</summary>
public static class ProcessRun
{
    /// <summary>
    /// Variables a scheduler or a user's shell may have set that would change what the deploy scripts and Extract do;
    /// a test run takes them from its own <paramref name="environment"/> only.
    /// </summary>
    private static readonly string[] Cleared = ["SLURM_ARRAY_TASK_ID", "SLURM_JOB_ID", "SLURM_CONF", "JOB_COMPLETION_INDEX", "DEVICE", "MODEL", "SHARDS", "IMAGES", "MANIFEST", "CACHE", "HEAD"];

    /// <summary>Runs <paramref name="program"/>; <paramref name="environment"/> is added to a copy of ours.</summary>
    public static (int Code, string Output) Run(string program, string[] args, IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string name in Cleared)
        {
            start.Environment.Remove(name);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
