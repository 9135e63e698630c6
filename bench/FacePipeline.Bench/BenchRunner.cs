using System.Globalization;
using System.Text.Json.Nodes;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.FeatureCache;
using FacePipeline.Fixtures;
using FacePipeline.Head;
using FacePipeline.Prediction;

namespace FacePipeline.Bench;

/// <summary>Runs the benchmark sections in order and writes results.json and RESULTS.md.</summary>
internal sealed class BenchRunner
{
    private const string Resnet18 = BackboneCatalog.ImageNetName;
    private const string Vgg16Random = "vgg16-notop-random";
    private const int ExtractBatch = 32;

    /// <summary>Images for the pipeline probes and the Predict throughput: five batches keep the full run within ~15 minutes.</summary>
    private const int ProbeImages = 160;

    private readonly BenchOptions options;
    private readonly TextWriter log;
    private readonly JsonObject results = [];
    private readonly string work;

    public BenchRunner(BenchOptions options, TextWriter log)
    {
        this.options = options;
        this.log = log;
        work = Path.GetFullPath(options.Work);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (string output in new[] { options.JsonOut, options.MarkdownOut })
        {
            if (File.Exists(output) && !options.Overwrite)
            {
                throw new BenchException($"{output}: already exists; pass --overwrite to replace it");
            }
        }

        if (!Directory.Exists(options.Data))
        {
            throw new BenchException($"{options.Data}: image folder not found; pass --data");
        }

        Directory.CreateDirectory(work);
        if (options.MergeOnly)
        {
            await MergeOnly();
            return;
        }

        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<LabelledImage> images = ImageFolderReader.Read(options.Data);
        if (options.ImagesPerPerson is int perPerson)
        {
            // Every person, fewer images each: keeps the head's classes and the stratified split meaningful.
            images = images.GroupBy(i => i.Label).SelectMany(g => g.Take(perPerson)).ToList();
        }

        RecordMachineAndRun(images.Count);
        await RunSectionsAsync(images, cancellationToken);
        Peer();
        results["gpu"] = "not measured (no GPU on this machine and none lent to this task)";
        results["machine"]!["loadavg_end"] = MachineInfo.LoadAverage();
        results["run"]!["wall_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        ReportWriter.Write(results, options.JsonOut, options.MarkdownOut);
        Say($"bench: done in {clock.Elapsed.TotalMinutes:F1} min; wrote {options.JsonOut} and {options.MarkdownOut}");
    }

    /// <summary>The <c>machine</c> and <c>run</c> objects of results.json, and the first progress line.</summary>
    private void RecordMachineAndRun(int imageCount)
    {
        MachineInfo machine = MachineInfo.Read();
        string loadAtStart = MachineInfo.LoadAverage();
        Say($"bench: {machine.Cpu}, {machine.Cores} cores, {machine.MemoryGb} GB; load {loadAtStart}; repeats {options.Repeats}{(options.Quick ? ", quick" : string.Empty)}");
        results["machine"] = new JsonObject
        {
            ["cpu"] = machine.Cpu,
            ["cores"] = machine.Cores,
            ["memory_gb"] = machine.MemoryGb,
            ["date"] = machine.Date,
            ["os"] = machine.Os,
            ["dotnet"] = machine.Dotnet,
            ["onnxruntime"] = machine.OnnxRuntime,
            ["torchsharp"] = machine.TorchSharp,
            ["cpu_flags"] = machine.CpuFlags,
            ["loadavg_start"] = loadAtStart,
        };
        results["run"] = new JsonObject
        {
            ["quick"] = options.Quick,
            ["repeats"] = options.Repeats,
            ["images"] = imageCount,
            ["data"] = Path.GetFullPath(options.Data),
            ["sections"] = new JsonArray(BenchOptions.AllSections.Where(options.Sections.Contains).Select(s => (JsonNode?)s).ToArray()),
        };
    }

    /// <summary>The sections asked for (<c>--only</c>), in their fixed order; later ones reuse the ORL cache and head.</summary>
    private async Task RunSectionsAsync(IReadOnlyList<LabelledImage> images, CancellationToken cancellationToken)
    {
        Backbone resnet = BackboneCatalog.Default().Resolve(Resnet18, out _);
        if (Has("gemm"))
        {
            Gemm();
        }

        if (Has("inference") || Has("variants"))
        {
            Inference(resnet, images);
        }

        string cache = Path.Combine(work, "cache-orl");
        if (Has("extract") || Has("head") || Has("predict") || Has("cache-io"))
        {
            await Extract(resnet, images, cache);
        }

        TrainedHead? orlHead = null;
        TrainingSet? orlData = null;
        if (Has("head") || Has("predict"))
        {
            (orlHead, orlData) = await TrainHeads(cache, cancellationToken);
        }

        if (Has("predict"))
        {
            await Predict(resnet, images, cache, orlHead!, orlData!);
        }

        if (orlHead is not null)
        {
            HeadBench.Dispose(orlHead);
        }

        if (Has("cache-io"))
        {
            await CacheIo(cache);
        }

        if (Has("faces"))
        {
            results["faces"] = await new FacesSection(options, Say).RunAsync();
        }

        if (Has("faceapi"))
        {
            results["peer_faceapi"] = options.FaceApiWork is null
                ? new JsonObject { ["source"] = "not run (no --faceapi-work; scripts/bench.sh makes the peer's runs)" }
                : await new FaceApiPeerSection(options, Say).RunAsync();
        }
    }

    /// <summary>Only the faces and/or faceapi sections: each merged into the existing results.json and RESULTS.md, whose other sections stay as they are.</summary>
    private async Task MergeOnly()
    {
        Say($"bench: {string.Join(" and ", options.Sections.Order(StringComparer.Ordinal))} only; load {MachineInfo.LoadAverage()}; repeats {options.Repeats}{(options.Quick ? ", quick" : string.Empty)}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (Has("faces"))
        {
            JsonObject faces = await new FacesSection(options, Say).RunAsync();
            faces["wall_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
            ReportWriter.MergeFaces(faces, options.JsonOut, options.MarkdownOut);
        }

        if (Has("faceapi"))
        {
            ReportWriter.MergeFaceApiPeer(await new FaceApiPeerSection(options, Say).RunAsync(), options.JsonOut, options.MarkdownOut);
        }

        Say($"bench: done in {clock.Elapsed.TotalMinutes:F1} min; merged into {options.JsonOut} and {options.MarkdownOut}");
    }

    private bool Has(string section) => options.Sections.Contains(section);

    private void Say(string line) => log.WriteLine(line);

    private void Gemm()
    {
        const int n = 2048;
        double seconds = options.Quick ? 0.5 : 1.5;
        int cores = Environment.ProcessorCount;
        Stats torchAll = GemmBench.Torch(n, cores, options.Repeats, seconds);
        Say($"gemm torch {cores} threads: {torchAll.Median:F1} GFLOP/s");
        Stats torchOne = GemmBench.Torch(n, 1, options.Repeats, seconds);
        Say($"gemm torch 1 thread: {torchOne.Median:F1} GFLOP/s");
        TorchSharp.torch.set_num_threads(cores);
        Stats ort = GemmBench.OnnxRuntime(n, cores, options.Repeats, seconds);
        Say($"gemm onnxruntime {cores} threads: {ort.Median:F1} GFLOP/s");
        // The limit is the best single run seen (a limit is a maximum; medians of a shared 2-core VM sit well below
        // what the kernels reach, and inference then showed more than 100 % "of peak").
        (string Name, double Rate) best = new[] { ($"torch {cores} threads", torchAll.Max), ("torch 1 thread", torchOne.Max), ($"onnxruntime {cores} threads", ort.Max) }.MaxBy(p => p.Item2);
        results["gemm_peak_gflops"] = Json.Round(best.Rate);
        results["gemm"] = new JsonObject { ["n"] = n, ["flop_per_call"] = 2.0 * n * n * n, ["peak_is"] = best.Name }
            .Put($"torch_{cores}_threads_gflops", torchAll)
            .Put("torch_1_thread_gflops", torchOne)
            .Put($"onnxruntime_{cores}_threads_gflops", ort);
    }

    private double Peak => Json.Number(results, "gemm_peak_gflops");

    private void Inference(Backbone resnet, IReadOnlyList<LabelledImage> images)
    {
        var inference = new JsonArray();
        results["inference"] = inference;
        double resnetGflop = CountResnetFlops(resnet);
        float[] resnetTensors = InferenceBench.Tensors(resnet, images, 32);
        Stats open = InferenceBench.OpenSeconds(resnet, options.Repeats);
        Stats load = Stats.Seconds(options.Repeats, 0, () => Backbone.Load(resnet.DescriptionPath));
        results["session_open_s"] = new JsonObject().Put(Resnet18, open);
        results["backbone_load_s"] = new JsonObject { ["what"] = "Backbone.Load: read the description, SHA-256 of the model file, mean image (paid by every program start)" }.Put(Resnet18, load);
        if (Has("inference"))
        {
            int resnetMinImages = options.Quick ? 16 : 64;
            foreach (InferenceResult result in InferenceBench.Production(resnet, resnetTensors, [1, 8, 32], resnetMinImages, options.Repeats, resnetGflop, Say))
            {
                inference.Add(Entry(result, "imagenet (ML.NET DnnImageFeaturizer.ResNet18 0.23.1)"));
            }
        }

        if (Has("variants"))
        {
            Variants(resnet, resnetTensors, resnetGflop);
        }

        if (Has("inference"))
        {
            Vgg16Inference(images, inference);
        }
    }

    /// <summary>ResNet18's FLOP per image counted from the model, recorded under <c>flop_counts</c>; returns GFLOP per image.</summary>
    private double CountResnetFlops(Backbone resnet)
    {
        (double resnetMacs, var nodes) = FlopCounter.CountMacs(resnet.ModelPath, resnet.Description.Output.Name!, [1, 3, 224, 224]);
        int resnetNodes = nodes.Count;
        double resnetGflop = 2 * resnetMacs / 1e9;
        Say($"resnet18: {resnetMacs / 1e9:F3} GMAC per image from {resnetNodes} Conv/Gemm nodes ({resnetGflop:F2} GFLOP)");
        results["flop_counts"] = new JsonObject
        {
            [Resnet18] = new JsonObject
            {
                ["gmac_per_image"] = Json.Round(resnetMacs / 1e9),
                ["gflop_per_image"] = Json.Round(resnetGflop),
                ["source"] = $"counted from the model: {resnetNodes} Conv/Gemm nodes feeding the feature output, MACs = output elements × dot length, FLOP = 2 × MAC (the often-quoted '1.8 GFLOPs' of ResNet18 is GMACs)",
                ["nodes"] = new JsonArray(nodes.Select(n => (JsonNode?)new JsonObject
                {
                    ["name"] = n.Name,
                    ["op"] = n.Op,
                    ["weight"] = string.Join('x', n.Weight),
                    ["output"] = string.Join('x', n.Output),
                    ["gmac"] = Json.Round(n.Macs / 1e9),
                }).ToArray()),
            },
        };
        return resnetGflop;
    }

    /// <summary>ONNX Runtime session options against the current ones on ResNet18 (<c>session_options</c>).</summary>
    private void Variants(Backbone resnet, float[] resnetTensors, double resnetGflop)
    {
        string dynamicModel = RawSession.DynamicModel(resnet, Path.Combine(work, "models"));
        string optimizedModel = RawSession.SaveOptimized(dynamicModel, Path.Combine(work, "models"));
        int variantImages = options.Quick ? 8 : 32;
        IReadOnlyList<SessionVariant> variants = options.Quick
            ? [SessionVariant.Current, .. SessionVariant.Alternatives.Where(v => v.Name is "intra1" or "no-spinning" or "saved-optimized")]
            : [SessionVariant.Current, .. SessionVariant.Alternatives];
        List<InferenceResult> measured = InferenceBench.Variants(resnet, dynamicModel, optimizedModel, resnetTensors, variants, [1, 32], variantImages, options.Repeats, resnetGflop, Say);
        var list = new JsonArray();
        foreach (SessionVariant variant in variants)
        {
            var entry = new JsonObject { ["name"] = variant.Name, ["options"] = variant.Description };
            InferenceResult any = measured.First(m => m.Variant == variant.Name);
            entry.Put("open_s", any.OpenSeconds!).Put("first_run_s", any.FirstRunSeconds!);
            foreach (InferenceResult result in measured.Where(m => m.Variant == variant.Name))
            {
                double current = measured.Single(m => m.Variant == SessionVariant.Current.Name && m.Batch == result.Batch).ImagesPerSecond.Median;
                entry.Put($"batch{result.Batch}_images_per_s", result.ImagesPerSecond);
                entry[$"batch{result.Batch}_ratio_to_current"] = Json.Round(result.ImagesPerSecond.Median / current, 3);
            }

            list.Add(entry);
        }

        results["session_options"] = new JsonObject
        {
            ["model"] = Resnet18,
            ["chosen"] = SessionVariant.Current.Description,
            ["note"] = "each variant is its own InferenceSession on the same dynamic-batch model and tensors, timed round-robin with the others; 'current' repeats BackboneSession.Open's options",
            ["variants"] = list,
        };
    }

    /// <summary>The VGG16-notop architecture (seeded random weights) at the quick or full batch sizes.</summary>
    private void Vgg16Inference(IReadOnlyList<LabelledImage> images, JsonArray inference)
    {
        Backbone vgg = WriteVggBackbone();
        double vggMacs = InferenceBench.Vgg16NotopMacs();
        (double countedMacs, var vggCounted) = FlopCounter.CountMacs(vgg.ModelPath, OnnxFixtureModels.OutputName, [1, 224, 224, 3]);
        int vggNodes = vggCounted.Count;
        double vggGflop = 2 * vggMacs / 1e9;
        Say($"vgg16-notop: {vggMacs / 1e9:F3} GMAC per image from layer shapes, {countedMacs / 1e9:F3} counted from the model ({vggNodes} Conv nodes)");
        results["flop_counts"]![Vgg16Random] = new JsonObject
        {
            ["gmac_per_image"] = Json.Round(vggMacs / 1e9),
            ["gflop_per_image"] = Json.Round(vggGflop),
            ["gmac_counted_from_model"] = Json.Round(countedMacs / 1e9),
            ["source"] = "Σ H·W·Cout·Cin·9 over the 13 convolutions at 224×224 (checked against the count from the model); FLOP = 2 × MAC",
        };
        float[] vggTensors = InferenceBench.Tensors(vgg, images, options.VggBatches.Max());
        foreach (int batch in options.VggBatches)
        {
            foreach (InferenceResult result in InferenceBench.Production(vgg, vggTensors, [batch], batch == 1 ? 2 : batch, options.Repeats, vggGflop, Say))
            {
                inference.Add(Entry(result, "random (seeded, OnnxFixtureModels.Vgg16NotopArchitecture(42)): NOT pretrained; same shapes and cost as the real VGG16-notop"));
            }
        }
    }

    private JsonObject Entry(InferenceResult result, string weights)
    {
        var entry = new JsonObject { ["model"] = result.Model, ["batch"] = result.Batch, ["weights"] = weights, ["session"] = result.Variant };
        entry.Put("images_per_s", result.ImagesPerSecond);
        entry.Put("gflops", result.GflopsStats);
        entry["gflop_per_image"] = Json.Round(result.GflopPerImage);
        if (double.IsFinite(Peak))
        {
            entry["of_peak"] = Json.Round(result.Gflops / Peak, 3);
        }

        return entry;
    }

    /// <summary>The VGG16-notop architecture with seeded random weights, described like models/vgg16-notop.json.</summary>
    private Backbone WriteVggBackbone()
    {
        string folder = Path.Combine(work, "models");
        Directory.CreateDirectory(folder);
        string onnx = Path.Combine(folder, Vgg16Random + ".onnx");
        if (!File.Exists(onnx))
        {
            OnnxFixtureModels.WriteVgg16NotopArchitecture(onnx, seed: 42);
        }

        string template = Path.Combine(AppContext.BaseDirectory, "models", "vgg16-notop.json");
        string description = File.ReadAllText(template)
            .Replace("\"vgg16-notop.onnx\"", $"\"{Vgg16Random}.onnx\"", StringComparison.Ordinal)
            .Replace("\"name\": \"vgg16-notop\"", $"\"name\": \"{Vgg16Random}\"", StringComparison.Ordinal)
            .Replace("\"pretrained\": \"imagenet\"", "\"pretrained\": \"none\"", StringComparison.Ordinal);
        string json = Path.Combine(folder, Vgg16Random + ".json");
        File.WriteAllText(json, description);
        return Backbone.Load(json);
    }

    private async Task Extract(Backbone resnet, IReadOnlyList<LabelledImage> images, string cache)
    {
        (Stats first, Stats rerun, Stats compute) = await ExtractBench.FirstAndRerun(resnet, images, cache, ExtractBatch, options.Repeats, Say);
        Stats imagesPerSecond = first.Map(s => images.Count / s);
        var extract = new JsonObject { ["model"] = Resnet18, ["batch"] = ExtractBatch, ["images"] = images.Count, ["how"] = "Extractor.RunAsync into a fresh cache folder (as the Extract program, without process start): hash pass, session open, decode+inference pipeline, Parquet write" };
        extract.Put("images_per_s", imagesPerSecond);
        extract.Put("seconds", first);
        extract.Put("compute_seconds", compute);
        double inference32 = InferenceImagesPerSecond(Resnet18, ExtractBatch);
        bool haveInference = double.IsFinite(inference32);
        if (haveInference)
        {
            extract["ratio_to_inference"] = Json.Round(imagesPerSecond.Median / inference32, 3);
        }

        double open = Json.Number(results, $"session_open_s.{Resnet18}");
        if (haveInference && !double.IsNaN(open))
        {
            extract["images_per_s_without_session_open"] = Json.Round(images.Count / (first.Median - open));
            extract["ratio_to_inference_without_session_open"] = Json.Round(images.Count / (first.Median - open) / inference32, 3);
        }

        if (Has("extract"))
        {
            await ExtractStages(resnet, images, extract, imagesPerSecond.Median, inference32);
        }

        results["extract"] = extract;
        results["rerun"] = new JsonObject { ["how"] = "the same Extractor run again on the unchanged images and cache (hash every file, read the parts' metadata, compute nothing)", ["ratio_to_first"] = Json.Round(rerun.Median / first.Median, 4) }
            .Put("seconds", rerun);
    }

    /// <summary>Where Extract's time goes: each stage alone, the ideal pipeline on this CPU, and the featurisation probes.</summary>
    private async Task ExtractStages(Backbone resnet, IReadOnlyList<LabelledImage> images, JsonObject extract, double imagesPerSecond, double inference32)
    {
        bool haveInference = double.IsFinite(inference32);
        Dictionary<string, Stats> stages = await ExtractBench.Stages(resnet, images, work, options.Repeats);
        var stageJson = new JsonObject { ["unit"] = "milliseconds per image, one thread unless named parallel" };
        foreach ((string name, Stats stats) in stages)
        {
            stageJson.Put(name, stats);
        }

        double inferenceMs = haveInference ? 1000 / inference32 : double.NaN;
        // On a CPU-bound machine decode work and inference share the cores, so at best they add up:
        // inference (all cores) + the other stages' single-thread time spread over the cores.
        double other = stages.Where(s => !s.Key.Contains("parallel", StringComparison.Ordinal)).Sum(s => s.Value.Median)
            + stages["read_file_ms"].Median + stages["sha256_ms"].Median; // the hash pre-pass reads and hashes every file once more
        double ideal = inferenceMs + other / Environment.ProcessorCount;
        stageJson["measured_ms"] = Json.Round(1000 / imagesPerSecond);
        if (haveInference)
        {
            stageJson["inference_batch32_ms"] = Json.Round(inferenceMs);
            stageJson["ideal_pipeline_ms"] = Json.Round(ideal);
            stageJson["ideal_ratio_to_inference"] = Json.Round(inferenceMs / ideal, 3);
        }
        extract["stages"] = stageJson;

        var probes = new JsonArray();
        List<(string Name, string Change, Stats ImagesPerSecond)> measured = await PipelineProbe.Run(resnet, images.Take(ProbeImages).ToList(), ExtractBatch, options.Repeats);
        double currentProbe = measured[0].ImagesPerSecond.Median;
        foreach ((string name, string change, Stats rate) in measured)
        {
            var probe = new JsonObject { ["name"] = name, ["change"] = change };
            probe.Put("images_per_s", rate);
            probe["ratio_to_current"] = Json.Round(rate.Median / currentProbe, 3);
            if (haveInference)
            {
                probe["ratio_to_inference"] = Json.Round(rate.Median / inference32, 3);
            }

            probes.Add(probe);
            Say($"probe {name}: {rate.Median:F2} images/s");
        }

        extract["probes"] = probes;
        Say($"extract stages (ms/image): {string.Join(", ", stages.Select(s => $"{s.Key} {s.Value.Median:F2}"))}; inference {inferenceMs:F1}; ideal ratio {inferenceMs / ideal:F3}");
    }

    private double InferenceImagesPerSecond(string model, int batch)
    {
        JsonNode? entry = (results["inference"] as JsonArray)?.FirstOrDefault(e => (string?)e?["model"] == model && (int?)e?["batch"] == batch);
        return Json.Number(entry, "images_per_s");
    }

    private async Task<(TrainedHead Head, TrainingSet Data)> TrainHeads(string cache, CancellationToken cancellationToken)
    {
        var defaults = new TrainingOptions();
        var load = System.Diagnostics.Stopwatch.StartNew();
        TrainingSet orl = await TrainingSet.LoadAsync(cache, cancellationToken);
        double loadSeconds = load.Elapsed.TotalSeconds;
        (Stats small, TrainedHead orlHead) = HeadBench.Train(orl, defaults, options.Repeats);
        Say($"train-head 512 features, {orl.Count} rows: {small.Median:F2} s");
        var train = new JsonObject
        {
            ["epochs"] = defaults.Epochs,
            ["options"] = "TrainingOptions defaults: batch 32, Adam 0.001, 15 % validation, seed 42, standardise on",
            ["features_512_rows"] = orl.Count,
            ["features_512_load_s"] = Json.Round(loadSeconds),
            ["features_512_val_accuracy"] = orlHead.ValidationAccuracy,
        };
        train.Put("features_512_s", small);
        train.Put("features_512_s_per_epoch_per_1000_rows", small.Map(s => s / defaults.Epochs / (orl.Count / 1000.0)));

        const int rows = 400;
        const int classes = 40;
        TrainingSet large = HeadBench.Synthetic(rows, 25_088, classes, seed: 7);
        var largeOptions = defaults with { Epochs = options.LargeHeadEpochs };
        (Stats big, TrainedHead bigHead) = HeadBench.Train(large, largeOptions, options.Repeats);
        HeadBench.Dispose(bigHead);
        Say($"train-head 25088 features, {rows} rows, {largeOptions.Epochs} epochs: {big.Median:F2} s");
        train.Put("features_25088_s", big);
        train.Put("features_25088_s_per_epoch_per_1000_rows", big.Map(s => s / largeOptions.Epochs / (rows / 1000.0)));
        train["features_25088_rows"] = rows;
        train["features_25088_classes"] = classes;
        train["features_25088_epochs"] = largeOptions.Epochs;
        train["features_25088_data"] = "synthetic: ReLU(normal + class-dependent shift), seed 7";

        double extraction = Json.Number(results, "extract.seconds");
        if (!double.IsNaN(extraction))
        {
            double head = small.Median;
            train["extraction_s"] = Json.Round(extraction);
            train["seed_cost_ratio"] = Json.Round(((20 * extraction) + head) / (extraction + head), 3);
            train["seed_cost_ratio_note"] = "(20 × extraction + head) / (extraction + head): the seed re-runs the backbone every epoch, FacePipeline once; ResNet18 extraction and 512-feature head measured here";
        }

        double vggImagesPerSecond = Json.Number((results["inference"] as JsonArray)?.LastOrDefault(e => (string?)e?["model"] == Vgg16Random), "images_per_s");
        if (!double.IsNaN(vggImagesPerSecond))
        {
            double vggExtraction = rows / vggImagesPerSecond;
            double head = big.Median * 20 / largeOptions.Epochs;
            train["vgg16_extraction_s_estimated"] = Json.Round(vggExtraction);
            train["seed_cost_ratio_vgg16_estimated"] = Json.Round(((20 * vggExtraction) + head) / (vggExtraction + head), 3);
        }

        results["train_head"] = train;
        return (orlHead, orl);
    }

    private async Task Predict(Backbone resnet, IReadOnlyList<LabelledImage> images, string cache, TrainedHead orlHead, TrainingSet orlData)
    {
        string headFolder = Path.Combine(work, "head-orl");
        HeadBench.WriteHead(headFolder, orlHead, orlData, new TrainingOptions(), cache);
        using HeadClassifier head = HeadClassifier.Load(headFolder);
        using BackboneSession session = BackboneSession.Open(resnet, DeviceSpec.Cpu, out _);
        int calls = options.Quick ? 10 : 20;
        Stats latency = await HeadBench.LatencyMs(head, session, images, calls);
        Say($"predict latency: {latency.Median:F1} ms");
        List<LabelledImage> batchImages = images.Take(ProbeImages).ToList();
        Stats throughput = await HeadBench.Throughput(head, session, batchImages, ExtractBatch, options.Repeats);
        Say($"predict throughput: {throughput.Median:F2} images/s");
        results["predict"] = new JsonObject
        {
            ["how"] = "HeadPredictor.PredictImagesAsync with a warm session and head: latency = one call per image (read, decode, backbone batch 1, head); throughput = all images at batch 32",
            ["latency_calls"] = calls,
            ["batch"] = ExtractBatch,
            ["images"] = batchImages.Count,
        }.Put("latency_ms", latency).Put("images_per_s", throughput);
    }

    private async Task CacheIo(string orlCache)
    {
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(orlCache);
        var orlRows = new List<float[]>();
        await foreach (FeatureRow row in reader.ReadRowsAsync())
        {
            orlRows.Add(row.Features);
        }

        CacheIoResult orl = await CacheIoBench.Measure("orl", Path.Combine(work, "cacheio-orl"), reader.Identity!, orlRows.Count, i => orlRows[i], options.Repeats);
        Say($"cache io orl ({orl.PayloadMb:F1} MB): write {orl.WriteMbPerSecond.Median:F1} MB/s, read {orl.ReadMbPerSecond.Median:F1} MB/s");

        var random = new Random(11);
        float[][] pool = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 25_088).Select(_ => (float)Math.Max(0, (random.NextDouble() * 4) - 2)).ToArray()).ToArray();
        CacheIoResult large = await CacheIoBench.Measure(
            "synthetic-vgg16", Path.Combine(work, "cacheio-large"), HeadBench.SyntheticIdentity(25_088), options.LargeCacheRows, i => pool[i % pool.Length], options.Repeats);
        Say($"cache io large ({large.PayloadMb:F0} MB): write {large.WriteMbPerSecond.Median:F1} MB/s, read {large.ReadMbPerSecond.Median:F1} MB/s, verify {large.VerifyMbPerSecond.Median:F1} MB/s of files");

        var io = new JsonObject
        {
            ["plain_figures_are"] = "the synthetic large cache",
            ["mb"] = "10^6 bytes of float32 feature payload (rows × length × 4) per second; file sizes given separately",
            ["page_cache"] = "reads follow the writes, so files come from the page cache: the read figure is Parquet decoding, not disk",
        };
        io.Put("write_mb_per_s", large.WriteMbPerSecond).Put("read_mb_per_s", large.ReadMbPerSecond).Put("verify_file_mb_per_s", large.VerifyMbPerSecond);
        io["large"] = CacheJson(large);
        io["orl"] = CacheJson(orl);
        results["cache_io"] = io;
    }

    private static JsonObject CacheJson(CacheIoResult result) =>
        new JsonObject
        {
            ["name"] = result.Name,
            ["rows"] = result.Rows,
            ["feature_length"] = result.FeatureLength,
            ["payload_mb"] = Json.Round(result.PayloadMb),
            ["file_mb"] = Json.Round(result.FileBytes / 1e6),
        }.Put("write_mb_per_s", result.WriteMbPerSecond).Put("read_mb_per_s", result.ReadMbPerSecond).Put("verify_file_mb_per_s", result.VerifyMbPerSecond);

    private void Peer()
    {
        JsonObject peer = options.PeerJson is null ? new JsonObject { ["source"] = "not run (no --peer-json)" } : PeerResults.Read(options.PeerJson);
        if (options.OursMetrics is not null)
        {
            JsonNode? metrics;
            try
            {
                metrics = JsonNode.Parse(File.ReadAllText(options.OursMetrics));
            }
            catch (Exception error) when (error is IOException or System.Text.Json.JsonException)
            {
                throw new BenchException($"{options.OursMetrics}: cannot read metrics.json ({error.Message})", error);
            }

            peer["ours_accuracy"] = Json.Number(metrics, "accuracy");
            peer["ours_accuracy_count"] = Json.Number(metrics, "count");
            peer["ours_backbone"] = metrics?["backbone"]?["name"]?.DeepClone();
            peer["ours_how"] = "Extract --manifest data/orl-7-3.csv --model resnet18 → TrainHead (defaults) → Predict evaluate --features CACHE --split test; accuracy from metrics.json";
        }

        double ours = Json.Number(results, "extract.images_per_s");
        if (!double.IsNaN(ours))
        {
            peer["ours_extract_images_per_s"] = ours;
        }

        foreach ((string name, double seconds) in options.CliSeconds)
        {
            peer[$"ours_cli_{name}_s"] = seconds;
        }

        results["peer_mlnet"] = peer;
    }
}
