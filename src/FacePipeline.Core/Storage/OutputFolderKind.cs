using System.Text.Json;

namespace FacePipeline.Storage;

/// <summary>
/// A kind of output folder the pipeline replaces as a whole (a head, an evaluation report), recognised by the JSON file
/// it always writes and a property that file always has: a folder without them was not written by us and is never
/// replaced (<see cref="OutputFolderGuard"/>).
/// </summary>
/// <param name="Name">What the folder is called in messages, e.g. "head folder".</param>
/// <param name="MarkerFileName">The JSON file every folder of this kind holds, e.g. <c>head.json</c>.</param>
/// <param name="MarkerProperty">A top-level property that file always has, e.g. <c>format_version</c>.</param>
public sealed record OutputFolderKind(string Name, string MarkerFileName, string MarkerProperty)
{
    /// <summary>Whether <paramref name="folder"/> holds this kind's marker file with its property.</summary>
    public bool Recognises(string folder)
    {
        string marker = Path.Combine(folder, MarkerFileName);
        if (!File.Exists(marker))
        {
            return false;
        }

        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(marker));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(MarkerProperty, out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
