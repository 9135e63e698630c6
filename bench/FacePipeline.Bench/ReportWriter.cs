using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FacePipeline.Bench;

/// <summary>Writes results.json and, from the same object, the readable RESULTS.md (each through a temporary file and a rename).</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(JsonObject results, string jsonPath, string markdownPath)
    {
        WriteAtomically(jsonPath, results.ToJsonString(Indented) + "\n");
        WriteAtomically(markdownPath, Markdown(results));
    }

    /// <summary>Marks the faces section in RESULTS.md, so a faces-only run replaces it and leaves the rest as it was.</summary>
    private const string FacesStart = "<!-- faces section: written by FacePipeline.Bench (faces); a faces-only run replaces it -->";
    private const string FacesEnd = "<!-- end of faces section -->";

    /// <summary>Marks the face-api peer section in RESULTS.md, so a <c>--faceapi-peer</c> run replaces it and leaves the rest as it was.</summary>
    private const string FaceApiStart = "<!-- face-api peer section: written by FacePipeline.Bench (faceapi); a --faceapi-peer run replaces it -->";
    private const string FaceApiEnd = "<!-- end of face-api peer section -->";

    /// <summary>
    /// Puts <paramref name="faces"/> under <c>faces</c> in the existing results.json (or a new one) and replaces the
    /// marked faces section of RESULTS.md (appending it when there is none); the other sections stay untouched.
    /// </summary>
    public static void MergeFaces(JsonObject faces, string jsonPath, string markdownPath) =>
        Merge("faces", faces, Faces(faces), FacesStart, FacesEnd, jsonPath, markdownPath);

    /// <summary>The same as <see cref="MergeFaces"/> for the face-api peer, under <c>peer_faceapi</c>.</summary>
    public static void MergeFaceApiPeer(JsonObject peer, string jsonPath, string markdownPath) =>
        Merge("peer_faceapi", peer, FaceApiPeer(peer), FaceApiStart, FaceApiEnd, jsonPath, markdownPath);

    private static void Merge(string key, JsonObject value, string section, string startMarker, string endMarker, string jsonPath, string markdownPath)
    {
        JsonObject results = File.Exists(jsonPath) ? JsonNode.Parse(File.ReadAllText(jsonPath)) as JsonObject ?? [] : [];
        results[key] = value;
        WriteAtomically(jsonPath, results.ToJsonString(Indented) + "\n");
        string markdown = File.Exists(markdownPath) ? File.ReadAllText(markdownPath) : "# FacePipeline benchmark results\n\n";
        int start = markdown.IndexOf(startMarker, StringComparison.Ordinal);
        int end = markdown.IndexOf(endMarker, StringComparison.Ordinal);
        markdown = start >= 0 && end > start
            ? markdown[..start] + section + markdown[(end + endMarker.Length)..].TrimStart('\n')
            : markdown.TrimEnd('\n') + "\n\n" + section;
        WriteAtomically(markdownPath, markdown);
    }

    private static string FaceApiPeer(JsonObject p)
    {
        var md = new StringBuilder();
        md.AppendLine(FaceApiStart);
        md.AppendLine("## The face-api peer: @vladmandic/face-api beside Extract with mobilefacenet (issue 18)").AppendLine();
        if (p["peer"] is not JsonObject peer || p["ours"] is not JsonObject ours)
        {
            md.AppendLine(Invariant($"Not run: {p["source"]}.")).AppendLine().AppendLine(FaceApiEnd);
            return md.ToString();
        }

        int cores = (int?)p["cores"] ?? 1;
        string loadStart = (string?)p["loadavg_start"] ?? "?";
        string loadEnd = (string?)p["loadavg_end"] ?? "?";
        md.AppendLine(Invariant($"Measured {p["date"]} by `scripts/bench.sh` (face-api peer section) on {p["cpu"]}, {cores} cores; {p["order"]}. Load average (1, 5, 15 min) {loadStart} at the start of the peer's pass, {loadEnd} at its end. Machine-readable: `peer_faceapi` in results.json beside this file."));
        md.AppendLine();
        if ((bool?)p["quick"] == true)
        {
            md.AppendLine("> **Quick smoke run** (`--quick`): 10 people. Not a measurement to quote.").AppendLine();
        }

        if (Load(loadStart) > cores * 0.5 || Load(loadEnd) > cores * 0.5)
        {
            md.AppendLine(Invariant($"> **Taken under load** ({Load(loadStart):F2} / {Load(loadEnd):F2} on {cores} cores): other processes shared the CPU, so both images/s figures are pessimistic; their ratio comes from one run, ours measured before and after the peer.")).AppendLine();
        }

        md.AppendLine(Invariant($"Set: {p["set"]}, {p["images"]} images of {p["people"]} people, {p["train_images"]} train / {p["test_images"]} test. Protocol: {p["protocol"]}")).AppendLine();
        md.AppendLine("| | images/s | faces missed (train / test) | 1-NN accuracy | 1-NN accuracy on faces found | 1-NN macro recall | note |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        md.AppendLine(Invariant($"| face-api: {peer["chain"]} | {F(Json.Number(peer, "images_per_s"))} | {peer["no_face_train"]} / {peer["no_face_test"]} | {F(Json.Number(peer, "accuracy"))} | {F(Json.Number(peer, "accuracy_faces_found"))} | {F(Json.Number(peer, "macro_recall"))} | {peer["tool"]}; {peer["workers"]} worker thread(s) × {peer["threads_per_worker"]} WASM thread (SIMD {peer["wasm_simd"]}); pass {F(Json.Number(peer, "pass_s"))} s, model load {F(Json.Number(peer, "model_load_s"))} s apart; {F(Json.Number(peer, "chain_ms_per_image"))} ms chain + {F(Json.Number(peer, "decode_ms_per_image"))} ms decode per image per worker |"));
        md.AppendLine(Invariant($"| ours: Extract --model {ours["backbone"]} --faces detect | {Figure(ours, "extract_images_per_s")} | {ours["no_face_train"]} / {ours["no_face_test"]} | {F(Json.Number(ours, "nn_accuracy"))} | {F(Json.Number(ours, "nn_accuracy_faces_found"))} | {F(Json.Number(ours, "nn_macro_recall"))} | the program's own time {Figure(ours, "extract_s")} s (process start excluded), session and detector open included; vectors scaled to unit length |"));
        md.AppendLine();
        md.AppendLine(Invariant($"**Ratio, ours / face-api: {F(Json.Number(p, "ratio_images_per_s"))}× the images/s** ({p["ratio_how"]})."));
        md.AppendLine();
        md.AppendLine(Invariant($"Training data: {p["training_data"]}.")).AppendLine();
        md.AppendLine(Invariant($"Our head on the same cache (TrainHead defaults → Predict evaluate --split test): accuracy {F(Json.Number(ours, "head_accuracy"))} on the {ours["head_accuracy_count"]} test images with a face, {F(Json.Number(ours, "head_accuracy_all_test"))} counting missed faces as errors; macro recall {F(Json.Number(ours, "head_macro_recall"))} (faces found)."));
        md.AppendLine();
        md.AppendLine(FaceApiEnd);
        return md.ToString();
    }

    private static string Faces(JsonObject f)
    {
        var md = new StringBuilder();
        md.AppendLine(FacesStart);
        md.AppendLine("## Faces: detection, alignment, a face-trained backbone (issues 10 and 11)").AppendLine();
        int cores = (int?)f["cores"] ?? 1;
        string loadStart = (string?)f["loadavg_start"] ?? "?";
        string loadEnd = (string?)f["loadavg_end"] ?? "?";
        md.AppendLine(Invariant($"Measured {f["date"]} by `scripts/bench.sh` (faces section), one run: the CLI runs, then the throughput part ({f["wall_s"]} s); load average (1, 5, 15 min) {loadStart} at start, {loadEnd} at end, on {cores} cores. Extract images/s: median of {f["repeats"]} run(s) [min–max], the program's own reported time (process start excluded). Machine-readable: `faces` in results.json beside this file."));
        md.AppendLine();
        if (f["programs_note"] is JsonNode programs)
        {
            md.AppendLine(Invariant($"> {programs}")).AppendLine();
        }

        if ((bool?)f["quick"] == true)
        {
            md.AppendLine("> **Quick smoke run** (`--quick`): 10 people per set, one repeat. Not a measurement to quote.").AppendLine();
        }

        if (Load(loadStart) > cores * 0.5 || Load(loadEnd) > cores * 0.5)
        {
            md.AppendLine(Invariant($"> **Taken under load** ({Load(loadStart):F2} / {Load(loadEnd):F2} on {cores} cores): other processes shared the CPU, so the images/s figures are pessimistic; the ratios compare runs made alternately in the same run.")).AppendLine();
        }

        md.AppendLine(Invariant($"Protocol: {f["protocol"]}")).AppendLine();
        if (f["runs_note"] is JsonNode note)
        {
            md.AppendLine(Invariant($"> {note}")).AppendLine();
        }

        if (f["sets_note"] is JsonNode setsNote)
        {
            md.AppendLine(Invariant($"> {setsNote}")).AppendLine();
        }

        md.AppendLine("| set | backbone | faces | rows cached / images (detect: faces found) | test accuracy (rows scored) | macro recall | accuracy, missed faces as errors | Extract images/s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (JsonNode? run in f["runs"] as JsonArray ?? [])
        {
            md.AppendLine(Invariant($"| {run!["set"]} | {run["backbone"]} | {run["faces"]} | {run["rows_cached"]}/{run["images"]} ({Pct(Json.Number(run, "detection_rate"))}) | {F(Json.Number(run, "accuracy"))} ({run["accuracy_count"]}/{run["test_images"]}) | {F(Json.Number(run, "macro_recall"))} | {F(Json.Number(run, "accuracy_all_test"))} | {Figure(run, "extract_images_per_s")} |"));
        }

        md.AppendLine();
        FacesThroughput(md, f, cores);
        FacesTargets(md, f);
        md.AppendLine();
        md.AppendLine(FacesEnd);
        return md.ToString();
    }

    /// <summary>The faces section's throughput table: detectors, face stage, bare inference and the ceilings.</summary>
    private static void FacesThroughput(StringBuilder md, JsonObject f, int cores)
    {
        JsonNode? images = f["throughput_images"];
        md.AppendLine(Invariant($"Throughput in the same run, on {images?["count"]} images from {images?["from"]} decoded beforehand ({f["detectors_how"]}):")).AppendLine();
        md.AppendLine("| what | images/s | note |").AppendLine("|---|---|---|");
        foreach (JsonNode? detector in f["detectors"] as JsonArray ?? [])
        {
            md.AppendLine(Invariant($"| detector {detector!["name"]} alone | **{F(Json.Number(detector, "images_per_s"))}** | 1 caller × {cores} intra-op threads {Figure(detector, "intra_all_images_per_s")}; {cores} callers × 1 thread {Figure(detector, "workers_images_per_s")}; faces found in {Pct(Json.Number(detector, "found_share"))} |"));
            if (detector["face_stage"] is JsonObject stage)
            {
                foreach ((string key, JsonNode? _) in stage.Where(p => p.Key.EndsWith("_images_per_s", StringComparison.Ordinal)).ToList())
                {
                    string model = key[..^"_images_per_s".Length];
                    md.AppendLine(Invariant($"| face stage {detector["name"]} → {model} (detect + largest + align) | {Figure(stage, key)} | geometry {stage[model + "_geometry"]} |"));
                }
            }
        }

        foreach (JsonNode? entry in f["inference"] as JsonArray ?? [])
        {
            md.AppendLine(Invariant($"| {entry!["model"]} bare inference, batch {entry["batch"]} | {Figure(entry, "images_per_s")} | BackboneSession.Run on tensors in memory, called as the featurizer calls it (at batch 1 on the CPU: from one worker per core); {entry["batch_is"]} |"));
        }

        foreach (JsonNode? detector in f["detectors"] as JsonArray ?? [])
        {
            md.AppendLine(Invariant($"| ceiling mobilefacenet + {detector!["name"]}: 1 / (1/detector + 1/embedder) | {F(Json.Number(detector, "mobilefacenet_ceiling_images_per_s"))} | same-run figures above |"));
        }

        md.AppendLine();
    }

    /// <summary>The faces section's targets, each said to hold or not.</summary>
    private static void FacesTargets(StringBuilder md, JsonObject f)
    {
        md.AppendLine("Targets:").AppendLine();
        if ((f["targets"] as JsonArray ?? []).Count == 0)
        {
            md.AppendLine("- not judged: they need the `--faces detect` runs, which this run did not make.");
        }

        foreach (JsonNode? target in f["targets"] as JsonArray ?? [])
        {
            bool holds = (bool?)target!["holds"] == true;
            string text = (string?)target["name"] == "resnet18_face_stage_overhead"
                ? Invariant($"{target["set"]}: the face stage adds {Pct(Json.Number(target, "value"))} to Extract's time with resnet18 (limit {Pct(Json.Number(target, "limit"))}; {target["how"]})")
                : Invariant($"{target["set"]}: Extract with mobilefacenet and the face stage runs at {F(Json.Number(target, "value"))} of the ceiling {F(Json.Number(target, "ceiling_images_per_s"))} images/s (floor {F(Json.Number(target, "floor"))}; {target["how"]})");
            md.AppendLine($"- **{(holds ? "holds" : "does not hold")}** — {text}.");
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, full, overwrite: true);
    }

    private static string Markdown(JsonObject r)
    {
        var md = new StringBuilder();
        Machine(md, r);
        md.AppendLine("## Results").AppendLine();
        md.AppendLine("| # | figure | value | note |").AppendLine("|---|---|---|---|");
        ComputeRows(md, r);
        DefaultBackboneExtract(md, r);
        PipelineRows(md, r);
        MlNetPeerRows(md, r);
        md.AppendLine("| 9 | GPU | not measured | " + ((string?)r["gpu"] ?? string.Empty) + " |");
        md.AppendLine();
        if (r["flop_counts"] is JsonObject flops)
        {
            md.AppendLine("FLOP per image: " + string.Join("; ", flops.Select(f => Invariant($"{f.Key} {F(Json.Number(f.Value, "gmac_per_image"))} GMAC = {F(Json.Number(f.Value, "gflop_per_image"))} GFLOP ({f.Value!["source"]})"))) + ".");
            md.AppendLine();
        }

        SessionOptions(md, r);
        Stages(md, r);
        if (r["faces"] is JsonObject faces)
        {
            md.Append(Faces(faces));
        }

        if (r["peer_faceapi"] is JsonObject faceApi)
        {
            md.AppendLine().Append(FaceApiPeer(faceApi));
        }

        return md.ToString();
    }

    /// <summary>The title, the run's caveats (quick, load) and the machine table.</summary>
    private static void Machine(StringBuilder md, JsonObject r)
    {
        JsonNode machine = r["machine"]!;
        JsonNode run = r["run"]!;
        int cores = (int?)machine["cores"] ?? 1;
        md.AppendLine("# FacePipeline benchmark results (issue 6)").AppendLine();
        md.AppendLine(Invariant($"Measured {machine["date"]} by `scripts/bench.sh` (bench/FacePipeline.Bench, Release). Each figure is the median of {run["repeats"]} run(s); min–max in brackets. Machine-readable: `bench/results.json`."));
        md.AppendLine();
        string loadStart = (string?)machine["loadavg_start"] ?? "?";
        string loadEnd = (string?)machine["loadavg_end"] ?? "?";
        if ((bool?)run["quick"] == true)
        {
            md.AppendLine("> **Quick smoke run** (`--quick`): one repeat, fewer images, smaller synthetic sets. Not a measurement to quote.").AppendLine();
        }

        if (Load(loadStart) > cores * 0.5 || Load(loadEnd) > cores * 0.5)
        {
            md.AppendLine(Invariant($"> **Taken under load**: 1-minute load average {Load(loadStart):F2} at start and {Load(loadEnd):F2} at end on {cores} cores; other processes shared the CPU, so every figure is pessimistic.")).AppendLine();
        }

        md.AppendLine("## Machine").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        md.AppendLine(Invariant($"| CPU | {machine["cpu"]} ({machine["cpu_flags"]}) |"));
        md.AppendLine(Invariant($"| cores (logical) | {cores} |"));
        md.AppendLine(Invariant($"| memory | {machine["memory_gb"]} GB |"));
        md.AppendLine(Invariant($"| OS | {machine["os"]} |"));
        md.AppendLine(Invariant($"| .NET / ONNX Runtime / TorchSharp | {machine["dotnet"]} / {machine["onnxruntime"]} / {machine["torchsharp"]} |"));
        md.AppendLine(Invariant($"| load average (1, 5, 15 min) | start {loadStart}; end {loadEnd} |"));
        md.AppendLine(Invariant($"| run | {run["images"]} images from {run["data"]}; sections {string.Join(", ", (run["sections"] as JsonArray ?? []).Select(s => (string?)s))}; {run["wall_s"]} s |"));
        md.AppendLine("| GPU | " + ((string?)r["gpu"] ?? "not measured") + " |");
        md.AppendLine();
    }

    /// <summary>Rows 1 to 3: GEMM peak, bare inference, Extract of the ORL set.</summary>
    private static void ComputeRows(StringBuilder md, JsonObject r)
    {
        if (r["gemm"] is JsonObject gemm)
        {
            foreach ((string key, JsonNode? _) in gemm.Where(p => p.Key.EndsWith("_gflops", StringComparison.Ordinal)).ToList())
            {
                md.AppendLine(Invariant($"| 1 | GEMM {gemm["n"]}² float32, {key[..^7].Replace('_', ' ')} | {Figure(gemm, key)} GFLOP/s | 2n³ FLOP per call |"));
            }

            md.AppendLine(Invariant($"| 1 | **peak** (limit used below) | **{F(Json.Number(r, "gemm_peak_gflops"))} GFLOP/s** | best of the above |"));
        }

        foreach (JsonNode? entry in r["inference"] as JsonArray ?? [])
        {
            md.AppendLine(Invariant($"| 2 | {entry!["model"]} inference, batch {entry["batch"]} | {Figure(entry, "images_per_s")} images/s; {F(Json.Number(entry, "gflops"))} GFLOP/s = {Pct(Json.Number(entry, "of_peak"))} of peak | {F(Json.Number(entry, "gflop_per_image"))} GFLOP/image; BackboneSession.Run on tensors in memory |"));
        }

        if (r["extract"] is JsonObject extract)
        {
            md.AppendLine(Invariant($"| 3 | Extract {extract["images"]} images, {extract["model"]}, batch {extract["batch"]} | {Figure(extract, "images_per_s")} images/s ({Figure(extract, "seconds")} s) | ratio to inference batch 32: **{F(Json.Number(extract, "ratio_to_inference"))}** (target ≥ 0.9); without session open: {F(Json.Number(extract, "ratio_to_inference_without_session_open"))} |"));
        }

    }

    /// <summary>Rows 4 to 7: re-run, TrainHead, Predict, cache I/O.</summary>
    private static void PipelineRows(StringBuilder md, JsonObject r)
    {
        if (r["rerun"] is JsonObject rerun)
        {
            md.AppendLine(Invariant($"| 4 | incremental re-run, unchanged set | {Figure(rerun, "seconds")} s | ratio to first run: {F(Json.Number(rerun, "ratio_to_first"))} |"));
        }

        if (r["train_head"] is JsonObject train)
        {
            md.AppendLine(Invariant($"| 5 | TrainHead {train["epochs"]} epochs, 512 features ({train["features_512_rows"]} rows, ORL cache) | {Figure(train, "features_512_s")} s | {Figure(train, "features_512_s_per_epoch_per_1000_rows")} s per epoch per 1 000 rows |"));
            md.AppendLine(Invariant($"| 5 | TrainHead {train["features_25088_epochs"]} epochs, 25 088 features ({train["features_25088_rows"]} rows × {train["features_25088_classes"]} classes, synthetic) | {Figure(train, "features_25088_s")} s | {Figure(train, "features_25088_s_per_epoch_per_1000_rows")} s per epoch per 1 000 rows; VGG16-notop shape |"));
            md.AppendLine(Invariant($"| 5 | seed approach cost ratio (20 × extraction + head) / (extraction + head) | {F(Json.Number(train, "seed_cost_ratio"))} | ResNet18; VGG16 estimate {F(Json.Number(train, "seed_cost_ratio_vgg16_estimated"))} |"));
        }

        if (r["predict"] is JsonObject predict)
        {
            md.AppendLine(Invariant($"| 6 | Predict, one image, warm process | {Figure(predict, "latency_ms")} ms | backbone batch 1 + head, median of {predict["latency_calls"]} |"));
            md.AppendLine(Invariant($"| 6 | Predict, batch {predict["batch"]} | {Figure(predict, "images_per_s")} images/s | {predict["images"]} images |"));
        }

        if (r["cache_io"] is JsonObject io)
        {
            foreach (string name in new[] { "orl", "large" })
            {
                if (io[name] is JsonObject cache)
                {
                    md.AppendLine(Invariant($"| 7 | cache {cache["name"]}: {cache["rows"]} × {cache["feature_length"]} ({F(Json.Number(cache, "payload_mb"))} MB, file {F(Json.Number(cache, "file_mb"))} MB) | write {Figure(cache, "write_mb_per_s")} MB/s; read {Figure(cache, "read_mb_per_s")} MB/s | reads from page cache |"));
                }
            }
        }

    }

    /// <summary>Row 8: the ML.NET peer, when its results were merged.</summary>
    private static void MlNetPeerRows(StringBuilder md, JsonObject r)
    {
        if (r["peer_mlnet"] is JsonObject peer)
        {
            if (peer["featurize_images_per_s"] is not null)
            {
                md.AppendLine(Invariant($"| 8 | ML.NET peer featurisation (ResNet18) | {F(Json.Number(peer, "featurize_images_per_s"))} images/s [{F(Json.Number(peer, "featurize_images_per_s_min"))}–{F(Json.Number(peer, "featurize_images_per_s_max"))}] | ours: {F(Json.Number(peer, "ours_extract_images_per_s"))} images/s |"));
                md.AppendLine(Invariant($"| 8 | ML.NET peer training s (sdca / lbfgs) | {F(Json.Number(peer, "train_s.sdca"))} / {F(Json.Number(peer, "train_s.lbfgs"))} | ours (TrainHead, 512): {F(Json.Number(r, "train_head.features_512_s"))} s |"));
                md.AppendLine(Invariant($"| 8 | ORL-7/3 test accuracy: peer sdca / lbfgs / ours | {F(Json.Number(peer, "accuracy.sdca"))} / {F(Json.Number(peer, "accuracy.lbfgs"))} / {F(Json.Number(peer, "ours_accuracy"))} | peer file {Path.GetFileName((string?)peer["source"] ?? string.Empty)} |"));
            }
            else
            {
                md.AppendLine(Invariant($"| 8 | ML.NET peer | not merged | {peer["source"]}; ours accuracy {F(Json.Number(peer, "ours_accuracy"))} |"));
            }
        }

    }

    /// <summary>
    /// Row 3 for the default backbone: Extract with mobilefacenet and the face stage (faces section, each set) against
    /// mobilefacenet's bare inference in the same run.
    /// </summary>
    private static void DefaultBackboneExtract(StringBuilder md, JsonObject r)
    {
        double bare = Json.Number((r["faces"]?["inference"] as JsonArray)?.FirstOrDefault(e => (string?)e?["model"] == "mobilefacenet"), "images_per_s");
        foreach (JsonNode? run in r["faces"]?["runs"] as JsonArray ?? [])
        {
            if ((string?)run!["backbone"] == "mobilefacenet" && (string?)run["faces"] == "detect")
            {
                md.AppendLine(Invariant($"| 3 | Extract {run["images"]} images of {run["set"]}, mobilefacenet (the default) + face stage | {Figure(run, "extract_images_per_s")} images/s | bare ONNX Runtime inference of mobilefacenet in the same run: {F(bare)} images/s; ratio **{F(Json.Number(run, "extract_images_per_s") / bare)}** (Extract also decodes, detects and aligns) |"));
            }
        }
    }

    private static void SessionOptions(StringBuilder md, JsonObject r)
    {
        if (r["session_options"] is not JsonObject options)
        {
            return;
        }

        md.AppendLine("## ONNX Runtime session options").AppendLine();
        md.AppendLine(Invariant($"Chosen (BackboneSession.Open): {options["chosen"]}. Alternatives on {options["model"]}; {options["note"]}.")).AppendLine();
        md.AppendLine("| variant | options | open s | first batch-32 run s | batch 1 images/s | vs current | batch 32 images/s | vs current |").AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (JsonNode? variant in options["variants"] as JsonArray ?? [])
        {
            md.AppendLine(Invariant($"| {variant!["name"]} | {variant["options"]} | {Figure(variant, "open_s")} | {Figure(variant, "first_run_s")} | {Figure(variant, "batch1_images_per_s")} | {F(Json.Number(variant, "batch1_ratio_to_current"))} | {Figure(variant, "batch32_images_per_s")} | {F(Json.Number(variant, "batch32_ratio_to_current"))} |"));
        }

        md.AppendLine();
    }

    private static void Stages(StringBuilder md, JsonObject r)
    {
        if (r["extract"]?["stages"] is not JsonObject stages)
        {
            return;
        }

        md.AppendLine("## Where Extract's time goes").AppendLine();
        md.AppendLine("Each stage of ImageFeaturizer/Extractor timed alone over every image (ms per image, one thread unless marked parallel):").AppendLine();
        md.AppendLine("| stage | ms/image |").AppendLine("|---|---|");
        foreach ((string key, JsonNode? _) in stages.Where(p => p.Key.EndsWith("_ms", StringComparison.Ordinal)).ToList())
        {
            md.AppendLine(Invariant($"| {key[..^3].Replace('_', ' ')} | {Figure(stages, key)} |"));
        }

        md.AppendLine();
        md.AppendLine(Invariant($"Ideal pipeline on this CPU (inference on all cores + the other stages' single-thread time spread over the cores): {F(Json.Number(stages, "ideal_pipeline_ms"))} ms/image, i.e. a ratio of {F(Json.Number(stages, "ideal_ratio_to_inference"))} to inference alone; measured {F(Json.Number(stages, "measured_ms"))} ms/image."));
        md.AppendLine();
        if (r["extract"]?["probes"] is JsonArray probes && probes.Count > 0)
        {
            md.AppendLine("Featurisation alone on an open session (no hash pass, no session open, no Parquet), same images, batch 32, timed round-robin:").AppendLine();
            md.AppendLine("| probe | what runs | images/s | vs 'current' | vs inference alone |").AppendLine("|---|---|---|---|---|");
            foreach (JsonNode? probe in probes)
            {
                md.AppendLine(Invariant($"| {probe!["name"]} | {probe["change"]} | {Figure(probe, "images_per_s")} | {F(Json.Number(probe, "ratio_to_current"))} | {F(Json.Number(probe, "ratio_to_inference"))} |"));
            }

            md.AppendLine();
        }
    }

    private static string Figure(JsonNode? node, string name)
    {
        double median = Json.Number(node, name);
        double min = Json.Number(node, name + "_min");
        double max = Json.Number(node, name + "_max");
        return double.IsNaN(min) ? F(median) : $"{F(median)} [{F(min)}–{F(max)}]";
    }

    private static string F(double value) => double.IsNaN(value) ? "–" : Json.Round(value, 3).ToString("0.####", CultureInfo.InvariantCulture);

    private static string Pct(double value) => double.IsNaN(value) ? "–" : (value * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %";

    private static double Load(string loadAverage) =>
        double.TryParse(loadAverage.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : 0;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
