namespace FacePipeline.Dataset;

/// <summary>
/// Reads a labelled image folder: one sub-folder per person (the folder name is the label), any depth of files below
/// it. Every regular file counts (the decoder judges the content); hidden files and folders are skipped.
/// </summary>
public static class ImageFolderReader
{
    /// <summary>Lists the images under <paramref name="root"/>, sorted by relative path (ordinal).</summary>
    /// <exception cref="ImageSetException">The folder is missing or has no labelled files.</exception>
    public static IReadOnlyList<LabelledImage> Read(string root)
    {
        string fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            throw new ImageSetException($"{root}: image folder not found");
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = false };
        var images = new List<LabelledImage>();
        foreach (string personFolder in Directory.EnumerateDirectories(fullRoot, "*", new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System }))
        {
            string label = Path.GetFileName(personFolder);
            foreach (string file in Directory.EnumerateFiles(personFolder, "*", options))
            {
                if (IsHidden(fullRoot, file))
                {
                    continue;
                }

                string relative = Path.GetRelativePath(fullRoot, file).Replace(Path.DirectorySeparatorChar, '/');
                images.Add(new LabelledImage(relative, file, label, null));
            }
        }

        if (images.Count == 0)
        {
            throw new ImageSetException($"{root}: no images found (expected one sub-folder per person, named after the person)");
        }

        images.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return images;
    }

    private static bool IsHidden(string root, string file) =>
        Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'));
}
