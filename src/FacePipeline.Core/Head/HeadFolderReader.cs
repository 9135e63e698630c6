using System.Text.Json;
using FacePipeline.Dataset;

namespace FacePipeline.Head;

/// <summary>
/// Reads a head folder as one version while TrainHead --overwrite may replace it: head.json is read once, every file it
/// records is read once and its SHA-256 checked on the bytes held, and the weights are loaded from those bytes. A
/// mismatch or a missing file with a head.json that changed meanwhile means the folder was replaced underneath: the
/// read starts again; a folder that still does not match after <see cref="MaxAttempts"/> reads is damaged (or keeps
/// changing) and is refused. (Comparing head.json before and after cannot tell the two apart: a loop that replaces the
/// head back and forth gives the same head.json again.) A damaged head thus costs about half a second before its refusal.
/// </summary>
public static class HeadFolderReader
{
    /// <summary>Reads before giving up on a folder that keeps changing.</summary>
    public const int MaxAttempts = 10;

    // Between attempts: a replacement is one rename, so the next read normally sees a settled folder.
    private const int RetryDelayMs = 50;

    /// <summary>Reads <paramref name="folder"/> as one consistent version.</summary>
    /// <exception cref="FacePipelineException">Missing, damaged or invalid files, a label map with a null or duplicate label, or a folder that kept changing.</exception>
    public static HeadSnapshot Read(string folder)
    {
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (TryRead(folder, attempt == MaxAttempts) is HeadSnapshot head)
            {
                return head;
            }

            Thread.Sleep(RetryDelayMs);
        }

        throw new InvalidOperationException("unreachable: the last attempt reports what it finds");
    }

    /// <summary>One read; null when the folder changed underneath (unless <paramref name="last"/>, where that is reported as it looks).</summary>
    private static HeadSnapshot? TryRead(string folder, bool last)
    {
        string descriptionPath = Path.Combine(folder, HeadFolder.DescriptionFileName);
        byte[]? descriptionBytes = ReadOrNull(descriptionPath);
        if (descriptionBytes is null)
        {
            // A replacement without renameat2's exchange leaves the folder missing for a moment.
            return last || Directory.Exists(folder)
                ? throw new FacePipelineException($"{folder}: not a head folder ({HeadFolder.DescriptionFileName} missing); train one with TrainHead")
                : null;
        }

        HeadDescription description = Parse<HeadDescription>(descriptionBytes, folder, "invalid head description");
        if (description.FormatVersion != HeadDescription.CurrentFormatVersion)
        {
            throw new FacePipelineException($"{descriptionPath}: head format {description.FormatVersion}, this tool reads {HeadDescription.CurrentFormatVersion}; retrain the head");
        }

        HeadFolder.EnsureKnownArchitecture(descriptionPath, description.Architecture);
        Dictionary<string, byte[]>? files = ReadRecordedFiles(folder, descriptionPath, description, last);
        if (files is null)
        {
            return null;
        }

        string labelsPath = Path.Combine(folder, description.LabelsFile);
        string?[] labels = Parse<string?[]>(files[description.LabelsFile], folder, "invalid label map");
        HeadFolder.CheckLabels(labels, labelsPath);
        if (labels.Length != description.Architecture.Classes)
        {
            throw new FacePipelineException($"{labelsPath}: {labels.Length} labels, but {HeadFolder.DescriptionFileName} says {description.Architecture.Classes} classes");
        }

        return new HeadSnapshot(description, labels!, files[description.WeightsFile]);
    }

    /// <summary>Every file head.json records, read once and checked; null when the folder changed underneath.</summary>
    private static Dictionary<string, byte[]>? ReadRecordedFiles(string folder, string descriptionPath, HeadDescription description, bool last)
    {
        foreach (string required in new[] { description.WeightsFile, description.LabelsFile })
        {
            if (!description.Files.ContainsKey(required))
            {
                throw new FacePipelineException($"{descriptionPath}: records no SHA-256 for {required}; retrain the head");
            }
        }

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string name, string sha256) in description.Files)
        {
            if (name != Path.GetFileName(name) || name is "." or "..")
            {
                throw new FacePipelineException($"{descriptionPath}: '{name}' is not a file name of the head folder; retrain the head");
            }

            string path = Path.Combine(folder, name);
            byte[]? bytes = ReadOrNull(path);
            if (bytes is not null && string.Equals(ContentHash.Of(bytes), sha256, StringComparison.OrdinalIgnoreCase))
            {
                files[name] = bytes;
                continue;
            }

            if (!last)
            {
                return null;
            }

            throw new FacePipelineException(bytes is null
                ? $"{path}: missing; the head folder is incomplete (restore it or retrain the head)"
                : $"{path}: its SHA-256 differs from the one head.json records (damaged or edited since training); restore the head folder or retrain it");
        }

        return files;
    }

    private static byte[]? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static T Parse<T>(byte[] json, string folder, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, HeadFolder.JsonOptions) ?? throw new FacePipelineException($"{folder}: {what} (empty)");
        }
        catch (JsonException error)
        {
            throw new FacePipelineException($"{folder}: {what} ({error.Message})", error);
        }
    }
}
