namespace FacePipeline.Storage;

/// <summary>
/// The rule of <see cref="OutputFolderGuard"/> for a named output file (a predictions CSV): it may replace a file of
/// ours or of nobody, never an input of the same run (the manifest, an image, a model) nor anything inside an input
/// folder (a head, a cache), and it is never a folder. Paths are compared after symbolic links are resolved, so a link
/// to the manifest is the manifest. Checked before any work, so a refused run costs nothing.
/// </summary>
public static class OutputFileGuard
{
    /// <summary>Refuses, with one line, to write <paramref name="file"/> unless the rule above allows it.</summary>
    /// <param name="file">The output file, as the user gave it.</param>
    /// <param name="option">The option that named it, for the advice (e.g. <c>--out</c>).</param>
    /// <param name="inputs">The run's input files and folders and what each is, e.g. ("heads/a", "head folder").</param>
    /// <exception cref="FacePipelineException">The file may not be written.</exception>
    public static void EnsureWritable(string file, string option, IEnumerable<(string Path, string What)> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string target = OutputFolderGuard.Resolve(file);
        string advice = $"choose another file for {option}";
        if (Directory.Exists(target))
        {
            throw new FacePipelineException($"{file}: is a folder, not a file; {advice}");
        }

        bool exists = File.Exists(target);
        foreach ((string path, string what) in inputs)
        {
            // A file that does not exist yet is no input file; skipping those spares resolving every image of a large set.
            if (!exists && !Directory.Exists(path))
            {
                continue;
            }

            string input = OutputFolderGuard.Resolve(path);
            if (target == input)
            {
                throw new FacePipelineException($"{file}: is the {what} this run reads ({path}), which the output would replace; {advice}");
            }

            if (target.StartsWith(input + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new FacePipelineException($"{file}: is inside the {what} this run reads ({path}), which the output would change; {advice}");
            }
        }
    }
}
