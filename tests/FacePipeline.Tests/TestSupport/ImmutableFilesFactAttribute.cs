using System.Diagnostics;
using Xunit;

namespace FacePipeline.Tests.TestSupport;

/// <summary>
/// A [Fact] skipped, with the reason, where a test cannot make files immutable with <c>chattr +i</c> (the only way to
/// make a file unwritable for root, who runs the tests; needs chattr and a file system that supports it).
/// </summary>
public sealed class ImmutableFilesFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when chattr +i does not work on a temporary file.</summary>
    public ImmutableFilesFactAttribute()
    {
        if (Problem.Value is string problem)
        {
            Skip = $"cannot make files immutable: {problem}";
        }
    }

    /// <summary>Runs <c>chattr FLAG PATHS</c>; true when it succeeded.</summary>
    public static bool Chattr(string flag, params string[] paths)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [flag, .. paths]) { RedirectStandardError = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string? Probe()
    {
        string file = Path.Combine(Path.GetTempPath(), $"facepipeline-chattr-probe-{Environment.ProcessId}");
        File.WriteAllText(file, "probe");
        try
        {
            return Chattr("+i", file) && Chattr("-i", file) ? null : "chattr +i is missing or refused here";
        }
        finally
        {
            File.Delete(file);
        }
    }
}
