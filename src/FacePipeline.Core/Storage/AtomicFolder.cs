namespace FacePipeline.Storage;

/// <summary>
/// The folder variant of <see cref="AtomicFile"/>: a folder <c>NAME</c> is filled as the sibling
/// <c>.NAME.tmp-PID-RANDOM</c> and renamed into place once complete; an existing <c>NAME</c> is first renamed to a second
/// temporary of the same scheme and deleted after the swap, so a reader sees the old folder or the new one.
/// </summary>
public static class AtomicFolder
{
    /// <summary>Creates <paramref name="folder"/> with the files <paramref name="fill"/> writes into the staging folder it is given.</summary>
    /// <param name="folder">Destination; replaced when it exists.</param>
    /// <param name="fill">Writes the content into the given (empty) staging folder.</param>
    public static void Write(string folder, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string target = Path.GetFullPath(folder.TrimEnd('/', '\\'));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string staging = AtomicFile.TemporaryPath(target);
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
            if (Directory.Exists(target))
            {
                string old = AtomicFile.TemporaryPath(target);
                Directory.Move(target, old);
                Directory.Move(staging, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(staging, target);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }
}
