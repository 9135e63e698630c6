using System.Globalization;
using System.Text.Json.Nodes;
using FacePipeline.Dataset;
using FacePipeline.FeatureCache;

namespace FacePipeline.Bench;

/// <summary>
/// The <c>peer_faceapi</c> section (issue 18): the face_recognition-style chain of <c>@vladmandic/face-api</c> (run by
/// bench.sh through bench/FaceApiPeer/run.mjs into <c>peer.json</c>) beside our Extract with <c>mobilefacenet</c> and
/// the face stage on the same lfw-dev manifest (<c>runs.tsv</c>, <c>ours/</c>), all in <see cref="BenchOptions.FaceApiWork"/>:
/// images/s of both and their ratio, 1-NN accuracy of both on the same even/odd split, and our head's accuracy.
/// </summary>
internal sealed class FaceApiPeerSection(BenchOptions options, Action<string> say)
{
    private const string Protocol = "lfw-dev: per person, files sorted by name (byte order), even positions (0, 2, …) train, odd test. "
        + "1-NN: each test image's vector against every train image's vector by Euclidean distance, as face_recognition does (no distance threshold: closed set); "
        + "test images without a face count as wrong; macro recall = mean over the test images' people of correct / that person's test images.";

    public async Task<JsonObject> RunAsync()
    {
        string work = options.FaceApiWork ?? throw new BenchException("--faceapi-work: needed for the faceapi section; run it through scripts/bench.sh");
        JsonObject peer = ReadPeer(Path.Combine(work, "peer.json"));
        IReadOnlyList<LabelledImage> images = ManifestReader.Read(Path.Combine(work, "lfw-dev.csv"));
        CheckSameSplit(peer, images);
        JsonObject ours = await Ours(work, images);
        double ratio = Json.Number(ours, "extract_images_per_s") / Json.Number(peer, "images_per_s");
        say($"faceapi peer: ours {Json.Number(ours, "extract_images_per_s"):F2} images/s, face-api {Json.Number(peer, "images_per_s"):F2} images/s (ratio {ratio:F2}); "
            + $"1-NN accuracy ours {Json.Number(ours, "nn_accuracy"):F4}, face-api {Json.Number(peer, "accuracy"):F4}");
        return new JsonObject
        {
            ["date"] = peer["date"]?.DeepClone(),
            ["cpu"] = peer["cpu"]?.DeepClone(),
            ["cores"] = peer["cores"]?.DeepClone(),
            ["quick"] = options.Quick,
            ["loadavg_start"] = peer["loadavg_start"]?.DeepClone(),
            ["loadavg_end"] = peer["loadavg_end"]?.DeepClone(),
            ["set"] = peer["lfw"]?.DeepClone(),
            ["images"] = images.Count,
            ["people"] = images.Select(i => i.Label).Distinct(StringComparer.Ordinal).Count(),
            ["train_images"] = images.Count(IsTrain),
            ["test_images"] = images.Count(i => !IsTrain(i)),
            ["protocol"] = Protocol,
            ["order"] = "ours (Extract) → the peer's whole pass → ours again, one after the other in one bench.sh run; our figure is the median of the two",
            ["training_data"] = "dlib's descriptor was trained avoiding LFW's identities (davisking/dlib-models README); mobilefacenet's MS-Celeb-1M (refined) was not checked for them, so its lfw-dev accuracy may be optimistic",
            ["ratio_images_per_s"] = Json.Round(ratio, 3),
            ["ratio_how"] = "our Extract images/s (the program's own reported time: hashing, session and detector open, decode, face stage, backbone, Parquet) / the peer's images/s (its timed pass: read, JPEG decode, the chain; model load and warm-up excluded)",
            ["peer"] = peer,
            ["ours"] = ours,
        };
    }

    private static bool IsTrain(LabelledImage image) => string.Equals(image.Split, "train", StringComparison.OrdinalIgnoreCase);

    private static JsonObject ReadPeer(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception error) when (error is IOException or System.Text.Json.JsonException)
        {
            throw new BenchException($"{path}: cannot read the face-api peer's results ({error.Message}); run scripts/bench.sh --faceapi-peer", error);
        }

        string[] needed = ["images_per_s", "accuracy", "macro_recall", "images", "train_images", "people", "tool"];
        string[] missing = needed.Where(n => root?[n] is null).ToArray();
        if (root is not JsonObject peer || missing.Length > 0)
        {
            throw new BenchException($"{path}: not a bench/FaceApiPeer/run.mjs result ({string.Join(", ", missing)} missing)");
        }

        peer["source"] = path;
        return peer;
    }

    /// <summary>The peer applies the protocol itself (run.mjs); its counts must be those of bench.sh's manifest.</summary>
    private static void CheckSameSplit(JsonObject peer, IReadOnlyList<LabelledImage> images)
    {
        int people = images.Select(i => i.Label).Distinct(StringComparer.Ordinal).Count();
        if (Json.Number(peer, "images") != images.Count || Json.Number(peer, "train_images") != images.Count(IsTrain) || Json.Number(peer, "people") != people)
        {
            throw new BenchException($"{peer["source"]}: the peer's split ({peer["images"]} images, {peer["train_images"]} train, {peer["people"]} people) differs from the manifest's "
                + $"({images.Count}, {images.Count(IsTrain)}, {people}); run both through scripts/bench.sh on the same --lfw folder");
        }
    }

    private static async Task<JsonObject> Ours(string work, IReadOnlyList<LabelledImage> images)
    {
        string tsv = Path.Combine(work, "runs.tsv");
        if (!File.Exists(tsv))
        {
            throw new BenchException($"{tsv}: not found; bench.sh writes it before calling the faceapi section");
        }

        string[][] rows = File.ReadAllLines(tsv).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToArray();
        Stats seconds = Stats.Of(rows.Select(r => double.Parse(r[1], CultureInfo.InvariantCulture)).ToArray());
        Stats wall = Stats.Of(rows.Select(r => double.Parse(r[2], CultureInfo.InvariantCulture)).ToArray());

        string cache = Path.Combine(work, "ours", "cache");
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cache);
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        await foreach (FeatureRow row in reader.ReadRowsAsync())
        {
            vectors[row.Path] = NearestNeighbourScore.Normalised(row.Features);
        }

        float[]? VectorOf(LabelledImage image) => vectors.GetValueOrDefault(image.Path);
        var gallery = images.Where(IsTrain).Select(i => (Label: i.Label!, Vector: VectorOf(i))).Where(g => g.Vector is not null).Select(g => (g.Label, g.Vector!)).ToList();
        var probes = images.Where(i => !IsTrain(i)).Select(i => (i.Label!, VectorOf(i))).ToList();
        NearestNeighbourScore nn = NearestNeighbourScore.Of(gallery, probes);

        JsonNode? metrics = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(work, "ours", "report", "metrics.json")));
        double headAccuracy = Json.Number(metrics, "accuracy");
        double headCount = Json.Number(metrics, "count");
        var ours = new JsonObject
        {
            ["how"] = "Extract --manifest lfw-dev.csv --model mobilefacenet --faces detect --device cpu (defaults otherwise), fresh cache each run; "
                + "1-NN on the cached vectors scaled to unit length (Euclidean distance then ranks as cosine); head: TrainHead (defaults) → Predict evaluate --split test",
            ["backbone"] = reader.Identity?.Backbone.Name,
            ["rows_cached"] = reader.RowCount,
            ["no_face_train"] = images.Count(i => IsTrain(i) && VectorOf(i) is null),
            ["no_face_test"] = images.Count(i => !IsTrain(i) && VectorOf(i) is null),
            ["nn_accuracy"] = Json.Round(nn.Accuracy),
            ["nn_accuracy_faces_found"] = Json.Round(nn.AccuracyFacesFound),
            ["nn_macro_recall"] = Json.Round(nn.MacroRecall),
            ["nn_gallery"] = nn.Gallery,
            ["head_accuracy"] = Json.Round(headAccuracy),
            ["head_accuracy_count"] = headCount,
            ["head_accuracy_all_test"] = Json.Round(headAccuracy * headCount / nn.TestImages),
            ["head_macro_recall"] = Json.Round(Json.Number(metrics, "macro_recall")),
        };
        ours.Put("extract_images_per_s", seconds.Map(s => images.Count / s));
        ours.Put("extract_s", seconds);
        ours.Put("extract_wall_s", wall);
        return ours;
    }
}
