using System.Text.Json.Nodes;

namespace FacePipeline.Bench;

/// <summary>The figures taken from the ML.NET peer's results JSON (bench/MlNetPeer).</summary>
internal static class PeerResults
{
    /// <summary>Reads <paramref name="path"/> into the <c>peer_mlnet</c> object of results.json.</summary>
    /// <exception cref="BenchException">Missing or unexpected file.</exception>
    public static JsonObject Read(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception error) when (error is IOException or System.Text.Json.JsonException)
        {
            throw new BenchException($"{path}: cannot read the peer's results ({error.Message}); run scripts/bench.sh without --skip-peer", error);
        }

        if (root?["featurize_images_per_s"]?["median"] is null || root["train_s"] is null || root["accuracy"] is null)
        {
            throw new BenchException($"{path}: not an MlNetPeer results file (featurize_images_per_s, train_s, accuracy missing)");
        }

        var trainS = new JsonObject();
        var trainStats = new JsonObject();
        foreach ((string name, JsonNode? value) in root["train_s"]!.AsObject())
        {
            trainS[name] = value?["median"]?.DeepClone();
            trainStats[name] = value?.DeepClone();
        }

        return new JsonObject
        {
            ["source"] = path,
            ["featurize_images_per_s"] = root["featurize_images_per_s"]!["median"]!.DeepClone(),
            ["featurize_images_per_s_min"] = root["featurize_images_per_s"]!["min"]?.DeepClone(),
            ["featurize_images_per_s_max"] = root["featurize_images_per_s"]!["max"]?.DeepClone(),
            ["train_s"] = trainS,
            ["train_s_stats"] = trainStats,
            ["accuracy"] = root["accuracy"]!.DeepClone(),
            ["protocol"] = root["protocol"]?.DeepClone(),
            ["repeats"] = root["repeats"]?.DeepClone(),
            ["environment"] = root["environment"]?.DeepClone(),
            ["loadavg_at_start"] = root["loadavg_at_start"]?.DeepClone(),
        };
    }
}
