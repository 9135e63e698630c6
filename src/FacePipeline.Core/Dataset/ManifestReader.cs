using CsvHelper;

namespace FacePipeline.Dataset;

/// <summary>
/// Reads a CSV manifest with header <c>path,label[,split]</c>. Paths are relative to the CSV's folder or absolute;
/// quoting follows RFC 4180 (paths with commas, quotes, spaces or any Unicode work). A backslash in a path is a folder
/// separator, for the cache key and the file opened alike; two rows naming one file are refused.
/// </summary>
public static class ManifestReader
{
    /// <summary>Reads the manifest; the image set's root is the CSV's folder.</summary>
    /// <param name="csvPath">The manifest.</param>
    /// <param name="requireLabels">Whether an empty label is an error (training) or allowed (prediction).</param>
    /// <exception cref="FacePipelineException">Missing file, missing columns, empty path or label, or duplicated path; the message names the line.</exception>
    public static IReadOnlyList<LabelledImage> Read(string csvPath, bool requireLabels = true)
    {
        if (!File.Exists(csvPath))
        {
            throw new FacePipelineException($"{csvPath}: manifest not found");
        }

        string root = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        var options = CsvReaderOptions.Default with { Separator = ',', TrackLineNumbers = true, SkipEmptyLines = true };
        var images = new List<LabelledImage>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using CsvReader csv = CsvReader.FromFile(csvPath, options);
            IReadOnlyList<string> header = csv.Headers;
            if (!csv.TryGetFieldIndex("path", out int pathIndex) || !csv.TryGetFieldIndex("label", out int labelIndex))
            {
                throw new FacePipelineException($"{csvPath}: header is '{string.Join(',', header)}'; expected 'path,label[,split]'");
            }

            int splitIndex = csv.TryGetFieldIndex("split", out int index) ? index : -1;
            while (csv.Read())
            {
                long line = csv.LineNumber;
                string path = csv.GetString(pathIndex) ?? string.Empty;
                string label = LabelRules.Normalize(csv.GetString(labelIndex) ?? string.Empty);
                string? split = splitIndex >= 0 ? NullIfEmpty(csv.GetString(splitIndex)?.Trim()) : null;
                if (path.Length == 0)
                {
                    throw new FacePipelineException($"{csvPath}:{line}: empty path");
                }

                if (requireLabels && label.Length == 0)
                {
                    throw new FacePipelineException($"{csvPath}:{line}: empty label for '{path}'");
                }

                if (LabelRules.Problem(label) is string problem)
                {
                    throw new FacePipelineException($"{csvPath}:{line}: {problem}; rename the person");
                }

                // One rule for the key and the file opened: a backslash separates folders (manifests made on Windows).
                string portable = path.Replace('\\', '/');
                string fullPath = Path.GetFullPath(Path.IsPathRooted(portable) ? portable : Path.Combine(root, portable));
                string relative = Path.IsPathRooted(portable) ? fullPath : portable;
                if (!seen.TryAdd(fullPath, path))
                {
                    throw new FacePipelineException(seen[fullPath] == path || !seen[fullPath].Contains('\\', StringComparison.Ordinal) && !path.Contains('\\', StringComparison.Ordinal)
                        ? $"{csvPath}:{line}: '{path}' is listed twice"
                        : $"{csvPath}:{line}: '{path}' and '{seen[fullPath]}' name the same image (a backslash separates folders in a manifest); list it once");
                }

                images.Add(new LabelledImage(relative, fullPath, NullIfEmpty(label), split));
            }
        }
        catch (CsvFormatException error)
        {
            throw new FacePipelineException($"{csvPath}: not a valid CSV manifest ({error.Message.Split('\n')[0]})", error);
        }

        if (images.Count == 0)
        {
            throw new FacePipelineException($"{csvPath}: the manifest lists no images");
        }

        return images;
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
