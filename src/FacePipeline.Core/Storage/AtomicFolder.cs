namespace FacePipeline.Storage;

/// <summary>
/// The folder variant of <see cref="AtomicFile"/>: a folder <c>NAME</c> is filled as the sibling
/// <c>.NAME.tmp-PID-RANDOM</c> and renamed into place once complete. An existing <c>NAME</c> is exchanged with the
/// staging folder in one renameat2(2) call and the old content deleted afterwards, so a reader always finds the old
/// folder or the new one; where the exchange is not available, the old folder is renamed aside first (a reader may
/// then find <c>NAME</c> missing for a moment, and retries: <see cref="Head.HeadFolder"/>). Without replacement the
/// commit is a rename that fails when <c>NAME</c> exists at that moment, so two writers never both win.
/// </summary>
public static class AtomicFolder
{
    /// <summary>Creates <paramref name="folder"/> with the files <paramref name="fill"/> writes into the staging folder it is given.</summary>
    /// <param name="folder">Destination.</param>
    /// <param name="fill">Writes the content into the given (empty) staging folder.</param>
    /// <param name="replace">Replace an existing destination; when false, the commit fails if it exists by then.</param>
    /// <exception cref="FacePipelineException">The destination appeared while the folder was filled and <paramref name="replace"/> is false.</exception>
    public static void Write(string folder, Action<string> fill, bool replace = true)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string target = Path.GetFullPath(folder.TrimEnd('/', '\\'));
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        RemoveTemporaries(parent, Path.GetFileName(target));
        string staging = AtomicFile.TemporaryPath(target);
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
            if (replace)
            {
                Replace(staging, target);
            }
            else
            {
                Create(staging, target);
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

    /// <summary>
    /// Deletes the staging and old folders <c>.NAME.tmp-PID-RANDOM</c> in <paramref name="parent"/> whose writer process
    /// is gone (a writer killed with SIGKILL leaves them, a whole head's weights included); a live writer's are kept.
    /// </summary>
    public static void RemoveTemporaries(string parent, string name)
    {
        foreach (string folder in Directory.GetDirectories(parent, AtomicFile.TemporaryPattern(name)))
        {
            if (Path.GetFileName(folder).StartsWith($".{name}{AtomicFile.Marker}", StringComparison.Ordinal)
                && AtomicFile.OwnerProcessId(folder) is int owner && !AtomicFile.IsProcessAlive(owner))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static void Create(string staging, string target)
    {
        FolderRename.Result result = FolderRename.MoveNoReplace(staging, target);
        if (result == FolderRename.Result.Unsupported)
        {
            try
            {
                // rename(2) onto a non-empty folder fails, and what another writer committed is never empty.
                Directory.Move(staging, target);
                return;
            }
            catch (IOException) when (Directory.Exists(target) || File.Exists(target))
            {
                result = FolderRename.Result.Refused;
            }
        }

        if (result == FolderRename.Result.Refused)
        {
            throw new FacePipelineException($"{target}: appeared while this run was writing it (another run?) and is kept; choose another --out or pass --overwrite to replace it");
        }
    }

    private static void Replace(string staging, string target)
    {
        if (FolderRename.Swap(staging, target) == FolderRename.Result.Done)
        {
            // staging now holds the old folder; the finally of Write deletes it.
            return;
        }

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
}
