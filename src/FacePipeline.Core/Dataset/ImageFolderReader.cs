namespace FacePipeline.Dataset;

/// <summary>
/// Reads a labelled image folder: one sub-folder per person (the folder name is the label), any depth of files below
/// it. Files directly in the folder have no label: prediction takes the images among them, Extract lists them as
/// skipped; a top-level file that neither its name nor its first bytes mark as an image (a README, a notes file) is
/// left alone. Below a person folder every regular file counts (the decoder judges the content); hidden files and folders are skipped. Symbolic
/// links are followed, but each real folder is entered at most once (in ordinal path order), so a link loop or a link
/// to a parent folder adds nothing and cannot make the walk endless.
/// </summary>
public static class ImageFolderReader
{
    /// <summary>File extensions of the formats ImageSharp reads (with the dot).</summary>
    private static readonly HashSet<string> ImageExtensions = SixLabors.ImageSharp.Configuration.Default.ImageFormats
        .SelectMany(format => format.FileExtensions)
        .Select(extension => "." + extension)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Lists the images under <paramref name="root"/>, sorted by relative path (ordinal).</summary>
    /// <param name="root">The image folder.</param>
    /// <param name="excludedFolder">A folder not to scan even when it lies inside <paramref name="root"/> (the output folder).</param>
    /// <param name="includeTopLevel">Also list the files directly in <paramref name="root"/>, without a label (prediction); otherwise they are left out (<see cref="TopLevelFiles"/>).</param>
    /// <exception cref="FacePipelineException">The folder is missing or has no labelled files.</exception>
    public static IReadOnlyList<LabelledImage> Read(string root, string? excludedFolder = null, bool includeTopLevel = false)
    {
        string fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            throw new FacePipelineException($"{root}: image folder not found");
        }

        var visited = new HashSet<string>(StringComparer.Ordinal) { RealPath(fullRoot) };
        if (excludedFolder is not null && Directory.Exists(excludedFolder))
        {
            visited.Add(RealPath(Path.GetFullPath(excludedFolder)));
        }

        var images = new List<LabelledImage>();
        if (includeTopLevel)
        {
            images.AddRange(TopLevelImages(fullRoot).Select(f => new LabelledImage(Path.GetFileName(f), f, null, null)));
        }

        foreach (string personFolder in Entries(fullRoot, directories: true))
        {
            if (visited.Add(RealPath(personFolder)))
            {
                string label = LabelRules.Normalize(Path.GetFileName(personFolder));
                if (LabelRules.Problem(label) is string problem)
                {
                    throw new FacePipelineException($"{personFolder}: {problem}; rename the folder");
                }

                AddFiles(fullRoot, personFolder, label, visited, images);
            }
        }

        if (images.Count == 0)
        {
            int loose = TopLevelFiles(fullRoot).Count;
            throw new FacePipelineException(loose == 0
                ? $"{root}: no images found (expected one sub-folder per person, named after the person)"
                : $"{root}: no images in person folders, only {loose} file(s) at the top level, which have no label; put each person's images in a sub-folder named after the person");
        }

        images.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return images;
    }

    /// <summary>
    /// The visible images directly in <paramref name="root"/> (relative names, ordinal order): they have no person
    /// folder, hence no label. Files that neither name nor header mark as an image are not counted.
    /// </summary>
    public static IReadOnlyList<string> TopLevelFiles(string root) =>
        Directory.Exists(root) ? TopLevelImages(Path.GetFullPath(root)).Select(f => Path.GetFileName(f)).ToList() : [];

    /// <summary>
    /// Top-level files with an image extension ImageSharp knows, or whose first bytes ImageSharp recognises (unreadable
    /// ones count, so they get reported).
    /// </summary>
    private static IEnumerable<string> TopLevelImages(string root) => Entries(root, directories: false).Where(LooksLikeImage);

    private static bool LooksLikeImage(string file)
    {
        if (ImageExtensions.Contains(Path.GetExtension(file)))
        {
            return true;
        }

        try
        {
            return SixLabors.ImageSharp.Image.DetectFormat(file) is not null;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static void AddFiles(string root, string folder, string label, HashSet<string> visited, List<LabelledImage> images)
    {
        foreach (string file in Entries(folder, directories: false))
        {
            string relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            images.Add(new LabelledImage(relative, file, label, null));
        }

        foreach (string sub in Entries(folder, directories: true))
        {
            if (visited.Add(RealPath(sub)))
            {
                AddFiles(root, sub, label, visited, images);
            }
        }
    }

    /// <summary>Visible files or folders directly in <paramref name="folder"/>, links resolved, in ordinal order.</summary>
    private static IEnumerable<string> Entries(string folder, bool directories)
    {
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = false };
        IEnumerable<string> entries = directories ? Directory.EnumerateDirectories(folder, "*", options) : Directory.EnumerateFiles(folder, "*", options);
        return entries.Where(e => !Path.GetFileName(e).StartsWith('.')).Order(StringComparer.Ordinal);
    }

    /// <summary>The folder's path with every symbolic link resolved (the identity that decides "visited").</summary>
    private static string RealPath(string folder)
    {
        var info = new DirectoryInfo(folder);
        string? parent = info.Parent is null ? null : RealPath(info.Parent.FullName);
        string here = parent is null ? info.FullName : Path.Combine(parent, info.Name);
        FileSystemInfo? target = new DirectoryInfo(here).ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? here : RealPath(target.FullName);
    }
}
