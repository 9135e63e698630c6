using System.Globalization;

namespace FacePipeline.Storage;

/// <summary>
/// The one temp-then-rename scheme of the pipeline. A file <c>NAME</c> is written as <c>.NAME.tmp-PID-RANDOM</c> in the
/// same folder (hidden, same file system, so the rename is atomic) and renamed over <c>NAME</c> once complete: a reader
/// sees the old file or the new one, never half of one. The process id in the name lets cleanup tell a temporary of a
/// live writer from one a crash left behind (<see cref="OwnerProcessId"/>); the random part keeps two writers of the
/// same process apart.
/// </summary>
public static class AtomicFile
{
    /// <summary>What every temporary name carries after the final name.</summary>
    public const string Marker = ".tmp-";

    /// <summary>A fresh temporary path for <paramref name="path"/>, in its folder.</summary>
    public static string TemporaryPath(string path)
    {
        string full = Path.GetFullPath(path);
        string random = Guid.NewGuid().ToString("N")[..8];
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}{Marker}{Environment.ProcessId}-{random}");
    }

    /// <summary>The search pattern that finds the temporaries of files whose names start with <paramref name="namePrefix"/>.</summary>
    public static string TemporaryPattern(string namePrefix = "") => $".{namePrefix}*{Marker}*";

    /// <summary>The writer's process id in a temporary name, or null when <paramref name="path"/> is not one of ours.</summary>
    public static int? OwnerProcessId(string path)
    {
        string name = Path.GetFileName(path);
        int marker = name.LastIndexOf(Marker, StringComparison.Ordinal);
        if (!name.StartsWith('.') || marker < 0)
        {
            return null;
        }

        string rest = name[(marker + Marker.Length)..];
        int dash = rest.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> into a temporary file, flushed to disk, then renames it into place.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temporary = TemporaryPath(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            // Only left behind when writing failed.
            File.Delete(temporary);
        }
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which is given a temporary path to create (for libraries that write by path).</summary>
    public static void WriteByPath(string path, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temporary = TemporaryPath(path);
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Whether a process with id <paramref name="processId"/> runs on this machine. A reused id reads as alive, which
    /// only keeps a stale temporary a while longer.
    /// </summary>
    public static bool IsProcessAlive(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
