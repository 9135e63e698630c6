using System.Globalization;
using System.Text.Json.Nodes;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FacePipeline.Bench;

/// <summary>
/// The <c>faces</c> section (issues 10 and 11): reads the Extract → TrainHead → Predict evaluate runs that bench.sh made
/// for every set × backbone × face stage (<c>runs.tsv</c> in <see cref="BenchOptions.FacesWork"/>), and measures in the
/// same run the detectors alone, the face stage alone and bare inference of each backbone at its preferred batch size,
/// then the two speed targets.
/// </summary>
internal sealed class FacesSection(BenchOptions options, Action<string> say)
{
    /// <summary>The issue-10 limit on what the face stage may add to Extract's time with resnet18.</summary>
    public const double OverheadLimit = 0.25;

    /// <summary>The issue-11 floor for Extract with mobilefacenet relative to 1 / (1/detector + 1/embedder).</summary>
    public const double CeilingFloor = 0.8;

    private static readonly string[] Backbones = [BackboneCatalog.ImageNetName, "mobilefacenet"];
    private static readonly string[] Detectors = [FaceDetectorCatalog.BlazefaceFrontName, FaceDetectorCatalog.YunetName];

    public async Task<JsonObject> RunAsync()
    {
        var faces = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["loadavg_start"] = MachineInfo.LoadAverage(),
            ["cores"] = Environment.ProcessorCount,
            ["quick"] = options.Quick,
            ["repeats"] = options.Repeats,
            ["lfw"] = options.Lfw is null ? null : Path.GetFullPath(options.Lfw),
            ["protocol"] = "ORL-7/3: data/orl-7-3.csv. orl-portraits: the same faces and split, each scaled ×1.75 on a 320×243 grey frame with a hard side light (face box ~25 % of the frame; `FacePipeline.Bench orl-portraits`). lfw-dev: per person, files sorted by name (ordinal), even positions (0, 2, …) train, odd test. "
                + "Extract (--faces none|detect, --detector default) → TrainHead (defaults) → Predict evaluate --features CACHE --split test. "
                + "Accuracy and macro recall from metrics.json (test rows in the cache); accuracy_all_test also counts test images without a face as errors.",
        };

        faces["runs"] = options.FacesWork is null ? new JsonArray() : await Runs(options.FacesWork);
        if (options.FacesWork is null)
        {
            faces["runs_note"] = "no --faces-work: the CLI runs were not made (run through scripts/bench.sh)";
        }

        Throughput(faces);
        Targets(faces);
        faces["loadavg_end"] = MachineInfo.LoadAverage();
        return faces;
    }

    private async Task<JsonArray> Runs(string folder)
    {
        string tsv = Path.Combine(folder, "runs.tsv");
        if (!File.Exists(tsv))
        {
            throw new BenchException($"{tsv}: not found; bench.sh writes it before calling the faces section");
        }

        string[] lines = File.ReadAllLines(tsv);
        string[] header = lines[0].Split('\t');
        int Column(string name) => Array.IndexOf(header, name) is int i and >= 0 ? i : throw new BenchException($"{tsv}: no column {name}");
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToList();
        var runs = new JsonArray();
        foreach (var group in rows.GroupBy(r => (Set: r[Column("set")], Backbone: r[Column("backbone")], Faces: r[Column("faces")])))
        {
            string[] last = group.Last();
            string config = last[Column("folder")];
            string manifest = last[Column("manifest")];
            IReadOnlyList<LabelledImage> images = ManifestReader.Read(manifest);
            int testImages = images.Count(i => string.Equals(i.Split, "test", StringComparison.OrdinalIgnoreCase));
            Stats seconds = Stats.Of(group.Select(r => double.Parse(r[Column("extract_s")], CultureInfo.InvariantCulture)).ToArray());
            Stats wall = Stats.Of(group.Select(r => double.Parse(r[Column("wall_s")], CultureInfo.InvariantCulture)).ToArray());
            string cache = Path.Combine(config, "cache");
            long cached = (await FeatureCacheReader.OpenAsync(cache)).RowCount;
            string errors = Path.Combine(cache, FeatureCacheLayout.ErrorsFileName);
            string[] errorLines = File.Exists(errors) ? File.ReadAllLines(errors).Skip(1).Where(l => l.Length > 0).ToArray() : [];
            int noFace = errorLines.Count(l => l.Contains("no face", StringComparison.OrdinalIgnoreCase));
            JsonNode? metrics = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(config, "report", "metrics.json")));
            double accuracy = Json.Number(metrics, "accuracy");
            double count = Json.Number(metrics, "count");
            var run = new JsonObject
            {
                ["set"] = group.Key.Set,
                ["backbone"] = group.Key.Backbone,
                ["faces"] = group.Key.Faces,
                ["images"] = images.Count,
                ["test_images"] = testImages,
                ["rows_cached"] = cached,
                ["no_face"] = noFace,
                ["other_errors"] = errorLines.Length - noFace,
                ["detection_rate"] = Json.Round((double)cached / images.Count, 4),
                ["accuracy"] = Json.Round(accuracy, 4),
                ["accuracy_count"] = count,
                ["accuracy_all_test"] = Json.Round(accuracy * count / testImages, 4),
                ["macro_recall"] = Json.Round(Json.Number(metrics, "macro_recall"), 4),
                ["folder"] = config,
            };
            run.Put("extract_images_per_s", seconds.Map(s => images.Count / s));
            run.Put("extract_s", seconds);
            run.Put("extract_wall_s", wall);
            runs.Add(run);
            say($"faces {group.Key.Set} {group.Key.Backbone} {group.Key.Faces}: accuracy {accuracy:F4} ({count} test rows), macro recall {Json.Number(metrics, "macro_recall"):F4}, "
                + $"cached {cached}/{images.Count}, Extract {images.Count / seconds.Median:F1} images/s");
        }

        return runs;
    }

    private void Throughput(JsonObject faces)
    {
        string source = options.Lfw ?? options.Data;
        string[] paths = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .Where(p => !Path.GetFileName(p).StartsWith('.') && !p.EndsWith(".md", StringComparison.Ordinal)).ToArray();
        int count = options.Quick ? 40 : 200;
        List<Image<Rgb24>> images = FaceBench.Decode(paths, count);
        faces["throughput_images"] = new JsonObject { ["from"] = Path.GetFullPath(source), ["count"] = images.Count, ["how"] = "decoded beforehand (first files by path), so decoding is not in these figures" };
        try
        {
            var detectors = new JsonArray();
            foreach (string name in Detectors)
            {
                detectors.Add(DetectorEntry(name, images));
            }

            faces["detectors"] = detectors;
            faces["detectors_how"] = "FaceDetectorSession.Detect on decoded images (letterbox, ONNX Runtime, decoding, NMS); images_per_s = the better arrangement. "
                + "face_stage = detect (1 intra-op thread, one worker per core) + largest face + FaceAligner.Align onto the backbone's geometry";
        }
        finally
        {
            images.ForEach(i => i.Dispose());
        }

        faces["inference"] = BareInference();
    }

    /// <summary>One detector alone in each arrangement, then the face stage with it in front of each backbone.</summary>
    private JsonObject DetectorEntry(string name, List<Image<Rgb24>> images)
    {
        FaceDetector detector = FaceDetectorCatalog.Default().Resolve(name);
        var entry = new JsonObject { ["name"] = name };
        double best = 0;
        foreach ((string arrangement, Stats rate, double found) in FaceBench.Detector(detector, images, options.Repeats))
        {
            string key = arrangement.Split(' ')[0];
            entry.Put($"{key}_images_per_s", rate);
            entry[$"{key}_arrangement"] = arrangement;
            entry["found_share"] = Json.Round(found, 4);
            best = Math.Max(best, rate.Median);
            say($"detector {name} {arrangement}: {rate.Median:F1} images/s, faces found in {found:P1}");
        }

        entry["images_per_s"] = Json.Round(best);
        var stage = new JsonObject();
        foreach (string model in Backbones)
        {
            Backbone backbone = BackboneCatalog.Default().Resolve(model, out _);
            Stats rate = FaceBench.Stage(detector, backbone, images, options.Repeats);
            stage.Put(model + "_images_per_s", rate);
            stage[model + "_geometry"] = $"{FaceBench.GeometryOf(backbone)} at {backbone.Preprocessing.WidthPx}×{backbone.Preprocessing.HeightPx}";
            say($"face stage {name} → {model}: {rate.Median:F1} images/s");
        }

        entry["face_stage"] = stage;
        return entry;
    }

    /// <summary>Each backbone's bare inference at its preferred batch size, on tensors made beforehand.</summary>
    private JsonArray BareInference()
    {
        var inference = new JsonArray();
        IReadOnlyList<LabelledImage> tensorsFrom = ImageFolderReader.Read(options.Data);
        foreach (string model in Backbones)
        {
            Backbone backbone = BackboneCatalog.Default().Resolve(model, out _);
            int batch = backbone.PreferredBatchSize;
            float[] tensors = InferenceBench.Tensors(backbone, tensorsFrom, batch);
            int minImages = options.Quick ? 32 : 128;
            foreach (InferenceResult result in InferenceBench.Production(backbone, tensors, [batch], minImages, options.Repeats, double.NaN, say))
            {
                inference.Add(new JsonObject { ["model"] = model, ["batch"] = batch, ["batch_is"] = "the backbone's preferred batch size (description batch_size, else 32)" }
                    .Put("images_per_s", result.ImagesPerSecond));
            }
        }

        return inference;
    }

    private static void Targets(JsonObject faces)
    {
        var runs = (faces["runs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        JsonObject? Run(string set, string backbone, string stage) =>
            runs.FirstOrDefault(r => (string?)r["set"] == set && (string?)r["backbone"] == backbone && (string?)r["faces"] == stage);
        var targets = new JsonArray();
        foreach (string set in runs.Select(r => (string)r["set"]!).Distinct())
        {
            JsonObject? none = Run(set, BackboneCatalog.ImageNetName, "none");
            JsonObject? detect = Run(set, BackboneCatalog.ImageNetName, "detect");
            if (none is not null && detect is not null)
            {
                double overhead = (Json.Number(detect, "extract_s") / Json.Number(none, "extract_s")) - 1;
                targets.Add(new JsonObject
                {
                    ["name"] = "resnet18_face_stage_overhead",
                    ["set"] = set,
                    ["value"] = Json.Round(overhead, 3),
                    ["limit"] = OverheadLimit,
                    ["holds"] = overhead <= OverheadLimit,
                    ["how"] = "median Extract seconds with --faces detect / with --faces none − 1 (the program's own reported time, no process start)",
                });
            }
        }

        double embedder = Json.Number((faces["inference"] as JsonArray)?.FirstOrDefault(e => (string?)e?["model"] == "mobilefacenet"), "images_per_s");
        foreach (JsonNode? detector in faces["detectors"] as JsonArray ?? [])
        {
            double rate = Json.Number(detector, "images_per_s");
            double ceiling = 1 / ((1 / rate) + (1 / embedder));
            detector!["mobilefacenet_ceiling_images_per_s"] = Json.Round(ceiling);
            if ((string?)detector["name"] != FaceDetectorCatalog.BlazefaceFrontName)
            {
                continue;
            }

            foreach (string set in runs.Select(r => (string)r["set"]!).Distinct())
            {
                if (Run(set, "mobilefacenet", "detect") is JsonObject mfn)
                {
                    double ratio = Json.Number(mfn, "extract_images_per_s") / ceiling;
                    targets.Add(new JsonObject
                    {
                        ["name"] = "mobilefacenet_extract_vs_ceiling",
                        ["set"] = set,
                        ["value"] = Json.Round(ratio, 3),
                        ["ceiling_images_per_s"] = Json.Round(ceiling),
                        ["floor"] = CeilingFloor,
                        ["holds"] = ratio >= CeilingFloor,
                        ["how"] = $"Extract --model mobilefacenet --faces detect images/s / (1 / (1/detector + 1/embedder)), detector {FaceDetectorCatalog.BlazefaceFrontName} alone and mobilefacenet bare inference at its preferred batch, this run",
                    });
                }
            }
        }

        faces["targets"] = targets;
    }
}
