using System.Diagnostics;
using FacePipeline.Tests.TestSupport;

namespace FacePipeline.Tests.Export;

/// <summary>
/// Runs <c>scripts/export-vgg16-notop.sh</c>'s torchvision route with <c>--weights random</c> and the interpreter's own
/// packages (<c>--python</c>): the packages are probed once per test run, the export runs once per test run.
/// </summary>
public static class ExportRoute
{
    /// <summary>Environment variable naming the Python to use; default <c>/usr/bin/python3</c> (Debian's packages).</summary>
    public const string PythonEnvironmentVariable = "FACEPIPELINE_EXPORT_PYTHON";

    private static readonly Lazy<string?> SkipReasonValue = new(Probe);

    /// <summary>The interpreter the route runs with.</summary>
    public static string Python => Environment.GetEnvironmentVariable(PythonEnvironmentVariable) is { Length: > 0 } python ? python : "/usr/bin/python3";

    /// <summary>Null when python3, torch, torchvision, onnx and Pillow are there; else why the route's tests are skipped.</summary>
    public static string? SkipReason => SkipReasonValue.Value;

    /// <summary>The export script.</summary>
    public static string Script => Path.Combine(TestPaths.RepoRoot, "scripts", "export-vgg16-notop.sh");

    /// <summary>Runs the export script with <paramref name="arguments"/>; returns exit code and output (stdout and stderr).</summary>
    public static (int ExitCode, string Output) RunScript(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the export route runs on Linux (bash script)";
        }

        if (!File.Exists(Python))
        {
            return $"{Python} not found (set {PythonEnvironmentVariable}); Debian 12: apt-get install python3-torch python3-torchvision python3-onnx";
        }

        try
        {
            (int code, string output) = RunScript("--source", "torchvision", "--python", Python, "--check");
            return code == 0 ? null : output.Trim();
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return $"bash cannot run ({error.Message})";
        }
    }
}
