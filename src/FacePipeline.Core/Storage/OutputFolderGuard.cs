namespace FacePipeline.Storage;

/// <summary>
/// The one rule for folders a run replaces as a whole (<see cref="AtomicFolder"/>): a folder may be replaced only when
/// it is missing, empty, or one of ours of the same <see cref="OutputFolderKind"/>; never when it is an input of the
/// same run, the working directory, or a folder holding any of these. Paths are compared after symbolic links are
/// resolved, so a link to the cache is the cache.
/// </summary>
public static class OutputFolderGuard
{
    /// <summary>Refuses, with one line, to replace <paramref name="folder"/> unless the rule above allows it.</summary>
    /// <param name="folder">The output folder, as the user gave it.</param>
    /// <param name="kind">What the run writes there.</param>
    /// <param name="option">The option that named it, for the advice (e.g. <c>--out</c>).</param>
    /// <param name="inputs">The run's inputs (files or folders) and what each is, e.g. ("cache", "feature cache").</param>
    /// <exception cref="FacePipelineException">The folder may not be replaced.</exception>
    public static void EnsureReplaceable(string folder, OutputFolderKind kind, string option, IEnumerable<(string Path, string What)> inputs)
    {
        ArgumentNullException.ThrowIfNull(kind);
        EnsureNotAnInput(folder, kind, option, inputs);
        string target = Resolve(folder);
        string advice = $"choose a new folder for {option}";
        if (File.Exists(target))
        {
            throw new FacePipelineException($"{folder}: is a file, not a {kind.Name}; {advice}");
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !kind.Recognises(target))
        {
            throw new FacePipelineException(
                $"{folder}: exists and is not a {kind.Name} (no {kind.MarkerFileName} of ours in it), so it is not replaced; {advice}, or empty or remove this one yourself");
        }
    }

    /// <summary>
    /// The half of the rule that holds even where nothing is replaced: <paramref name="folder"/> is neither the working
    /// directory, nor an input of the run, nor a folder holding one of these.
    /// </summary>
    /// <exception cref="FacePipelineException">It is.</exception>
    public static void EnsureNotAnInput(string folder, OutputFolderKind kind, string option, IEnumerable<(string Path, string What)> inputs)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(inputs);
        string target = Resolve(folder);
        string advice = $"choose a new folder for {option}";
        string workingDirectory = Resolve(Environment.CurrentDirectory);
        if (Contains(target, workingDirectory))
        {
            string what = target == workingDirectory ? "is the working directory" : "holds the working directory";
            throw new FacePipelineException($"{folder}: {what}, which a {kind.Name} would replace; {advice}");
        }

        foreach ((string path, string what) in inputs)
        {
            if (Contains(target, Resolve(path)))
            {
                string relation = Resolve(path) == target ? "is" : "holds";
                throw new FacePipelineException($"{folder}: {relation} the {what} this run reads ({path}), which a {kind.Name} would replace; {advice}");
            }
        }
    }

    /// <summary>Whether <paramref name="outer"/> is <paramref name="inner"/> or one of its parents (both resolved).</summary>
    private static bool Contains(string outer, string inner) =>
        inner == outer || inner.StartsWith(outer.EndsWith(Path.DirectorySeparatorChar) ? outer : outer + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The absolute path of <paramref name="path"/> with every symbolic link along it resolved (what realpath(3) gives for the existing part).</summary>
    internal static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        string resolved = root;
        string[] parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(resolved, parts[i]);
            if (!Path.Exists(next))
            {
                return Path.Combine([resolved, .. parts[i..]]);
            }

            string? link = new FileInfo(next).LinkTarget;
            resolved = link is null ? next : Resolve(Path.GetFullPath(link, resolved));
        }

        return resolved;
    }
}
