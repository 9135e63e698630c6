using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Storage;

namespace FacePipeline.FeatureCache;

/// <summary>
/// The record of one shard's <c>--rebuild</c>, so the old parts stay until the new set is complete and readers never
/// see both. Written (atomically) before the first new part as incomplete: readers then hide the new run's parts.
/// Rewritten as complete after the last new part: from that one rename on, readers hide the superseded parts instead,
/// which are deleted next, and the manifest last. A run killed at any point leaves a manifest the next Extract of the
/// shard resolves (<see cref="Resolve"/>): an incomplete rebuild's parts are dropped, a complete one's old parts are.
/// </summary>
/// <param name="Prefix">The shard's part prefix.</param>
/// <param name="Run">The run id of the new parts.</param>
/// <param name="Superseded">File names of the parts the rebuild replaces.</param>
/// <param name="Complete">Whether every new part is committed.</param>
public sealed record RebuildManifest(string Prefix, string Run, IReadOnlyList<string> Superseded, bool Complete)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Whether a reader must not see the part <paramref name="fileName"/>.</summary>
    public bool Hides(string fileName) =>
        Complete ? Superseded.Contains(fileName, StringComparer.Ordinal) : FeatureCacheLayout.IsPartOfRun(fileName, Prefix, Run);

    /// <inheritdoc/>
    public bool Equals(RebuildManifest? other) =>
        other is not null && Prefix == other.Prefix && Run == other.Run && Complete == other.Complete && Superseded.SequenceEqual(other.Superseded);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Prefix, Run, Complete, Superseded.Count);

    /// <summary>Writes this manifest into <paramref name="folder"/> (atomically).</summary>
    public void Write(string folder)
    {
        string path = Path.Combine(folder, FeatureCacheLayout.RebuildFileName(Prefix));
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, new Stored(Prefix, Run, [.. Superseded], Complete), Json));
    }

    /// <summary>The rebuild manifests in <paramref name="folder"/>, sorted by file name.</summary>
    /// <exception cref="FacePipelineException">A manifest cannot be parsed.</exception>
    public static List<RebuildManifest> ReadAll(string folder)
    {
        var manifests = new List<RebuildManifest>();
        foreach (string file in FeatureCacheLayout.RebuildFiles(folder))
        {
            try
            {
                Stored stored = JsonSerializer.Deserialize<Stored>(File.ReadAllBytes(file), Json)
                    ?? throw new JsonException("empty");
                manifests.Add(new RebuildManifest(stored.Prefix, stored.Run, stored.Superseded, stored.Complete));
            }
            catch (FileNotFoundException)
            {
                // Finished and removed since the listing.
            }
            catch (JsonException error)
            {
                throw new FacePipelineException($"{file}: unreadable rebuild manifest ({error.Message}); re-run Extract with --rebuild for its shard");
            }
        }

        return manifests;
    }

    /// <summary>
    /// Finishes or undoes what a stopped rebuild of the shard of <paramref name="prefix"/> left in
    /// <paramref name="folder"/>; the caller holds the shard's lock. Returns whether there was one.
    /// </summary>
    public static bool Resolve(string folder, string prefix)
    {
        RebuildManifest? manifest = ReadAll(folder).FirstOrDefault(m => m.Prefix == prefix);
        if (manifest is null)
        {
            return false;
        }

        if (manifest.Complete)
        {
            manifest.Finish(folder);
        }
        else
        {
            manifest.Abandon(folder);
        }

        return true;
    }

    /// <summary>Deletes the superseded parts, then the manifest (the new set is complete).</summary>
    public void Finish(string folder)
    {
        foreach (string name in Superseded)
        {
            File.Delete(Path.Combine(folder, name));
        }

        File.Delete(Path.Combine(folder, FeatureCacheLayout.RebuildFileName(Prefix)));
    }

    /// <summary>Deletes the new run's parts, then the manifest: the superseded parts stay the cache.</summary>
    public void Abandon(string folder)
    {
        foreach (string file in FeatureCacheLayout.RunPartFiles(folder, Prefix, Run))
        {
            File.Delete(file);
        }

        File.Delete(Path.Combine(folder, FeatureCacheLayout.RebuildFileName(Prefix)));
    }

    private sealed record Stored(
        [property: JsonRequired] string Prefix,
        [property: JsonRequired] string Run,
        [property: JsonRequired] string[] Superseded,
        [property: JsonRequired] bool Complete);
}
