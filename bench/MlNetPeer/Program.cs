// ML.NET peer benchmark for FacePipeline: ML.NET's own transfer-learning route on ORL-7/3.
//
//   LoadImages -> ResizeImages(224x224, stretch) -> ExtractPixels -> DnnFeaturizeImage(ResNet18)
//   -> (features cached in memory) -> MapValueToKey(Label) -> SdcaMaximumEntropy | LbfgsMaximumEntropy
//
// Usage: dotnet run -c Release --project bench/MlNetPeer -- --data data/orl-faces --out PATH.json
//        [--repeats N] [--keep-png DIR]

using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace MlNetPeer;

internal static class Program
{
    private const int People = 40;
    private const int ImagesPerPerson = 10;
    private const int TrainPerPerson = 7;
    private const int Side = 224;

    private static int Main(string[] args)
    {
        Options opts;
        try
        {
            opts = Options.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (opts.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        try
        {
            Run(opts);
            return 0;
        }
        catch (BenchmarkException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    private static void Run(Options opts)
    {
        var total = Stopwatch.StartNew();
        var notes = new List<string>();
        var loadAtStart = LoadAvg();
        Console.WriteLine($"/proc/loadavg at start: {loadAtStart}");
        var dataDir = Path.GetFullPath(opts.DataDir);
        var rows = ListOrl(dataDir);
        Console.WriteLine($"ORL-7/3: {rows.Count(r => r.IsTrain)} train / {rows.Count(r => !r.IsTrain)} test images from {dataDir}");

        // ---- Can ML.NET's image loader (MLImage, SkiaSharp-backed in 5.x) read PGM directly? ----
        var probe = rows[0].SourcePath;
        var pgmReadable = ProbeMlImage(probe, out var probeError);
        Console.WriteLine($"MLImage.CreateFromFile on PGM: {(pgmReadable ? "ok" : "fails: " + probeError)}");

        string imageDir;
        string? tempDir = null;
        if (pgmReadable)
        {
            imageDir = dataDir;
            foreach (var r in rows)
            {
                r.ImagePath = Path.GetRelativePath(dataDir, r.SourcePath);
            }

            notes.Add("MLImage read the PGM files directly.");
        }
        else
        {
            tempDir = opts.KeepPngDir is not null
                ? Path.GetFullPath(opts.KeepPngDir)
                : Path.Combine(Path.GetTempPath(), "mlnetpeer-png-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(tempDir);
            var sw = Stopwatch.StartNew();
            foreach (var r in rows)
            {
                var rel = Path.ChangeExtension(Path.GetRelativePath(dataDir, r.SourcePath), ".png");
                var dst = Path.Combine(tempDir, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
                Pgm.ConvertToPng(r.SourcePath, dst);
                r.ImagePath = rel;
            }

            imageDir = tempDir;
            notes.Add(
                $"ML.NET 5.0.1 LoadImages (MLImage over SkiaSharp) cannot decode PGM (MLImage.CreateFromFile on an existing .pgm throws " +
                $"the misleading {probeError}); the 400 P5 PGMs were " +
                $"converted losslessly to 8-bit greyscale PNG in a temp dir with a small P5 parser + SkiaSharp PNG encoder " +
                $"({sw.Elapsed.TotalSeconds:F2} s, not counted in featurisation time). LoadImages then reads the PNGs.");
            Console.WriteLine($"Converted {rows.Count} PGM -> PNG in {tempDir} ({sw.Elapsed.TotalSeconds:F2} s)");
        }

        try
        {
            var result = Benchmark(opts, rows, imageDir, notes);
            result["loadavg_at_start"] = loadAtStart;
            result["total_wall_s"] = Math.Round(total.Elapsed.TotalSeconds, 2);
            result["notes"] = string.Join(" ", notes);
            var outPath = Path.GetFullPath(opts.OutPath);
            var outDir = Path.GetDirectoryName(outPath);
            if (!string.IsNullOrEmpty(outDir))
            {
                Directory.CreateDirectory(outDir);
            }

            File.WriteAllText(outPath, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            Console.WriteLine($"Wrote {outPath} (total {total.Elapsed.TotalSeconds:F1} s)");
        }
        finally
        {
            if (tempDir is not null && opts.KeepPngDir is null)
            {
                Directory.Delete(tempDir, recursive: true);
            }
        }
    }

    private static JsonObject Benchmark(Options opts, List<ImageRow> rows, string imageDir, List<string> notes)
    {
        var ml = new MLContext(seed: 0);
        var trainerLog = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Trace)
            {
                return;
            }

            if (opts.Verbose)
            {
                Console.WriteLine($"    [mlnet {e.Kind}] {e.Message}");
            }

            // Keep the trainers' own reports (threads, auto-tuned iterations, convergence) for the JSON.
            if (e.Message.Contains("TrainerBase", StringComparison.Ordinal))
            {
                lock (trainerLog)
                {
                    trainerLog.Add(e.Message);
                }
            }
        };
        var input = ml.Data.LoadFromEnumerable(rows.Select(r => new ImageInput { ImagePath = r.ImagePath, Label = r.Label }));

        // ---- Featuriser: ML.NET's documented DnnFeaturizeImage route. ----
        var featurizer = ml.Transforms.LoadImages("ImageObject", imageDir, nameof(ImageInput.ImagePath))
            .Append(ml.Transforms.ResizeImages("ImageObject", Side, Side, "ImageObject", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Pixels", "ImageObject"))
            .Append(ml.Transforms.DnnFeaturizeImage(
                "Features",
                m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn),
                "Pixels"));

        var fitSw = Stopwatch.StartNew();
        var featModel = featurizer.Fit(input);
        var fitSeconds = fitSw.Elapsed.TotalSeconds;
        Console.WriteLine($"Featuriser Fit (loads ResNet18 + preprocess ONNX, creates ORT sessions): {fitSeconds:F2} s");

        var featRates = new List<double>();
        var featSeconds = new List<double>();
        float[][]? features = null;
        for (var rep = 0; rep < opts.Repeats; rep++)
        {
            var sw = Stopwatch.StartNew();
            var f = Featurize(featModel, input, rows.Count);
            var s = sw.Elapsed.TotalSeconds;
            featSeconds.Add(s);
            featRates.Add(rows.Count / s);
            Console.WriteLine($"  featurise pass {rep + 1}: {rows.Count} images in {s:F2} s = {rows.Count / s:F1} img/s (dim {f[0].Length})");
            if (features is null)
            {
                features = f;
            }
            else if (!SameFeatures(features, f))
            {
                notes.Add($"Featurisation pass {rep + 1} produced different features than pass 1.");
            }
        }

        var dim = features![0].Length;

        // ---- Cached features -> in-memory IDataViews (train: images 1-7, test: 8-10). ----
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dim);
        var featureRows = rows.Select((r, i) => (r.IsTrain, Row: new FeatureRow { Label = r.Label, Features = features[i] })).ToList();
        var train = ml.Data.LoadFromEnumerable(featureRows.Where(x => x.IsTrain).Select(x => x.Row), schema);
        var test = ml.Data.LoadFromEnumerable(featureRows.Where(x => !x.IsTrain).Select(x => x.Row), schema);
        // Materialise once into ML.NET's own cache so every trainer/repeat sees identical in-memory data.
        train = ml.Data.Cache(train);
        test = ml.Data.Cache(test);

        var trainers = new (string Name, Func<IEstimator<ITransformer>> Make)[]
        {
            ("sdca", () => ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"))),
            ("lbfgs", () => ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"))),
            // Extra, not part of the brief's pair: SDCA after min-max normalisation (what ML.NET's docs advise for SDCA).
            ("sdca_minmax", () => ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.Transforms.NormalizeMinMax("Features"))
                .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"))),
        };

        var trainJson = new JsonObject();
        var accJson = new JsonObject();
        var accRunsJson = new JsonObject();
        var logByTrainer = new JsonObject();
        foreach (var (name, make) in trainers)
        {
            int logStart;
            lock (trainerLog)
            {
                logStart = trainerLog.Count;
            }

            var secs = new List<double>();
            var accs = new List<double>();
            for (var rep = 0; rep < opts.Repeats; rep++)
            {
                var est = make();
                var sw = Stopwatch.StartNew();
                var model = est.Fit(train);
                var s = sw.Elapsed.TotalSeconds;
                secs.Add(s);
                var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test), "Label");
                accs.Add(metrics.MicroAccuracy);
                Console.WriteLine($"  {name} run {rep + 1}: train {s:F3} s, test MicroAccuracy {metrics.MicroAccuracy:F4} (macro {metrics.MacroAccuracy:F4})");
            }

            lock (trainerLog)
            {
                // One repeat's worth of the trainer's own log lines (they repeat identically).
                var lines = trainerLog.Skip(logStart).Distinct().ToArray();
                logByTrainer[name] = new JsonArray(lines.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray());
            }

            trainJson[name] = Stats(secs);
            accJson[name] = accs[0];
            accRunsJson[name] = new JsonArray(accs.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray());
            if (accs.Distinct().Count() > 1)
            {
                notes.Add($"{name} accuracy varied across repeats: {string.Join(", ", accs.Select(a => a.ToString("F4", CultureInfo.InvariantCulture)))} (reported: first run).");
            }
        }

        notes.Add(
            "Featurisation time = one full pass of the fitted featuriser over all 400 images (load PNG, resize 224x224 Fill, " +
            "ExtractPixels, ResNetPreprocess.onnx + ResNet18.onnx via ORT), materialised to float[]; featuriser Fit " +
            "(model load, session creation) is reported separately as featurize_fit_s. Training time = Fit of " +
            "MapValueToKey + trainer on the cached 280x" + dim.ToString(CultureInfo.InvariantCulture) +
            " train features (ML.NET default trainer options, MLContext seed 0). 'sdca' and 'lbfgs' see the raw ResNet18 " +
            "features (no normalisation); 'sdca_minmax' is an extra row with NormalizeMinMax before SDCA. Default SDCA does " +
            "not converge on the raw features (it runs all auto-tuned iterations; see trainer_log) which is why it is slow. " +
            "SDCA logs 'Using 1 thread' on this 2-core box. DnnFeaturizeImage exposes no ORT thread/session options, and " +
            "ML.NET scores one row at a time. Timings are wall clock on a possibly shared host: see loadavg_at_start/end.");

        var root = new JsonObject
        {
            ["protocol"] = "ORL-7/3 (images 1-7 train, 8-10 test; 280/120)",
            ["featurize_images_per_s"] = Stats(featRates),
            ["featurize_s"] = Stats(featSeconds),
            ["featurize_fit_s"] = Math.Round(fitSeconds, 3),
            ["feature_dim"] = dim,
            ["train_s"] = trainJson,
            ["accuracy"] = accJson,
            ["accuracy_runs"] = accRunsJson,
            ["trainer_log"] = logByTrainer,
            ["repeats"] = opts.Repeats,
            ["n_train"] = rows.Count(r => r.IsTrain),
            ["n_test"] = rows.Count(r => !r.IsTrain),
            ["environment"] = EnvironmentInfo(),
        };
        return root;
    }

    private static float[][] Featurize(TransformerChain<TransformerChain<Microsoft.ML.Transforms.ColumnCopyingTransformer>> model, IDataView input, int count)
    {
        var output = model.Transform(input);
        var col = output.Schema["Features"];
        var result = new float[count][];
        using var cursor = output.GetRowCursor(new[] { col });
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        var buf = default(VBuffer<float>);
        var i = 0;
        while (cursor.MoveNext())
        {
            getter(ref buf);
            result[i++] = buf.DenseValues().ToArray();
        }

        if (i != count)
        {
            throw new BenchmarkException($"featuriser produced {i} rows, expected {count}");
        }

        return result;
    }

    private static bool SameFeatures(float[][] a, float[][] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i].AsSpan().SequenceEqual(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static JsonObject Stats(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        return new JsonObject
        {
            ["median"] = Math.Round(median, 4),
            ["min"] = Math.Round(sorted[0], 4),
            ["max"] = Math.Round(sorted[^1], 4),
            ["runs"] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(Math.Round(v, 4))!).ToArray()),
        };
    }

    private static JsonObject EnvironmentInfo()
    {
        string ortNative;
        try
        {
            ortNative = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            ortNative = "unavailable: " + ex.Message;
        }

        return new JsonObject
        {
            ["mlnet"] = InfoVersion(typeof(MLContext).Assembly),
            ["mlnet_image_analytics"] = InfoVersion(typeof(ImageResizingEstimator).Assembly),
            ["mlnet_onnx_transformer"] = InfoVersion(typeof(Microsoft.ML.Transforms.Onnx.OnnxTransformer).Assembly),
            ["mlnet_dnn_featurizer_resnet18"] = InfoVersion(typeof(ResNet18Extension).Assembly),
            ["onnxruntime_managed"] = InfoVersion(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly),
            ["onnxruntime_native"] = ortNative,
            ["skiasharp"] = InfoVersion(typeof(SKBitmap).Assembly),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["cpu"] = CpuModel(),
            ["logical_cpus"] = Environment.ProcessorCount,
            ["loadavg_at_end"] = LoadAvg(),
            ["omp_num_threads"] = Environment.GetEnvironmentVariable("OMP_NUM_THREADS") ?? "(unset)",
            ["ort_session_options"] = "ML.NET defaults (DnnFeaturizeImage exposes no thread options; ORT default intra-op threads = physical cores)",
        };
    }

    internal static string LoadAvg()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string InfoVersion(Assembly asm) =>
        asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? asm.GetName().Version?.ToString()
        ?? "unknown";

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return "unknown";
    }

    private static bool ProbeMlImage(string path, out string error)
    {
        try
        {
            using var img = MLImage.CreateFromFile(path);
            error = "";
            return img.Width > 0 && img.Height > 0;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or NotSupportedException)
        {
            error = $"{ex.GetType().Name}: {ex.Message}";
            return false;
        }
    }

    private static List<ImageRow> ListOrl(string dataDir)
    {
        if (!Directory.Exists(dataDir))
        {
            throw new BenchmarkException($"data directory not found: {dataDir} (expected ORL faces: s1..s40/1.pgm..10.pgm)");
        }

        var rows = new List<ImageRow>();
        for (var p = 1; p <= People; p++)
        {
            for (var k = 1; k <= ImagesPerPerson; k++)
            {
                var path = Path.Combine(dataDir, $"s{p}", $"{k}.pgm");
                if (!File.Exists(path))
                {
                    throw new BenchmarkException($"missing ORL image: {path}");
                }

                rows.Add(new ImageRow { SourcePath = path, Label = $"s{p}", IsTrain = k <= TrainPerPerson });
            }
        }

        return rows;
    }
}

internal sealed class ImageRow
{
    public required string SourcePath { get; init; }

    public string ImagePath { get; set; } = "";

    public required string Label { get; init; }

    public required bool IsTrain { get; init; }
}

internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}

internal sealed class FeatureRow
{
    public string Label { get; set; } = "";

    public float[] Features { get; set; } = [];
}

internal sealed class BenchmarkException(string message) : Exception(message);

/// <summary>Minimal binary (P5) PGM reader, 8-bit only, and PNG writer via SkiaSharp.</summary>
internal static class Pgm
{
    public static void ConvertToPng(string src, string dst)
    {
        var bytes = File.ReadAllBytes(src);
        var pos = 0;
        var magic = Token(bytes, ref pos, src);
        if (magic != "P5")
        {
            throw new BenchmarkException($"{src}: not a binary PGM (magic '{magic}', expected P5)");
        }

        var w = int.Parse(Token(bytes, ref pos, src), CultureInfo.InvariantCulture);
        var h = int.Parse(Token(bytes, ref pos, src), CultureInfo.InvariantCulture);
        var max = int.Parse(Token(bytes, ref pos, src), CultureInfo.InvariantCulture);
        if (max is <= 0 or > 255)
        {
            throw new BenchmarkException($"{src}: maxval {max} not supported (8-bit PGM only)");
        }

        pos++; // single whitespace after maxval
        if (bytes.Length - pos < w * h)
        {
            throw new BenchmarkException($"{src}: truncated pixel data ({bytes.Length - pos} < {w * h} bytes)");
        }

        var info = new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bmp = new SKBitmap(info);
        var stride = bmp.RowBytes;
        var pixels = new byte[stride * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var v = bytes[pos + (y * w) + x];
                pixels[(y * stride) + x] = max == 255 ? v : (byte)(((v * 255) + (max / 2)) / max);
            }
        }

        Marshal.Copy(pixels, 0, bmp.GetPixels(), pixels.Length);

        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        if (data is null)
        {
            throw new BenchmarkException($"SkiaSharp could not encode {src} as PNG");
        }

        using var fs = File.Create(dst);
        data.SaveTo(fs);
    }

    private static string Token(byte[] b, ref int pos, string src)
    {
        while (pos < b.Length)
        {
            if (b[pos] == (byte)'#')
            {
                while (pos < b.Length && b[pos] != (byte)'\n')
                {
                    pos++;
                }
            }
            else if (char.IsWhiteSpace((char)b[pos]))
            {
                pos++;
            }
            else
            {
                break;
            }
        }

        var start = pos;
        while (pos < b.Length && !char.IsWhiteSpace((char)b[pos]))
        {
            pos++;
        }

        if (start == pos)
        {
            throw new BenchmarkException($"{src}: truncated PGM header");
        }

        return System.Text.Encoding.ASCII.GetString(b, start, pos - start);
    }
}

internal sealed class Options
{
    public const string Usage =
        "usage: MlNetPeer --data DIR --out PATH.json [--repeats N (default 3)] [--keep-png DIR] [--verbose]\n" +
        "  --data      ORL faces root (s1..s40/1.pgm..10.pgm)\n" +
        "  --out       JSON result file\n" +
        "  --repeats   timing repetitions (median/min/max reported)\n" +
        "  --keep-png  keep the PGM->PNG copies in DIR instead of a deleted temp dir\n" +
        "  --verbose   print ML.NET's log (info/warnings/errors) while running";

    public string DataDir { get; private set; } = "";

    public string OutPath { get; private set; } = "";

    public int Repeats { get; private set; } = 3;

    public string? KeepPngDir { get; private set; }

    public bool Help { get; private set; }

    public bool Verbose { get; private set; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Value()
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{args[i]} needs a value");
                }

                return args[++i];
            }

            switch (args[i])
            {
                case "--data":
                    o.DataDir = Value();
                    break;
                case "--out":
                    o.OutPath = Value();
                    break;
                case "--repeats":
                    var v = Value();
                    if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                    {
                        throw new ArgumentException($"--repeats must be a positive integer, got '{v}'");
                    }

                    o.Repeats = n;
                    break;
                case "--keep-png":
                    o.KeepPngDir = Value();
                    break;
                case "--verbose":
                    o.Verbose = true;
                    break;
                case "-h" or "--help":
                    o.Help = true;
                    return o;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        if (o.DataDir.Length == 0)
        {
            throw new ArgumentException("--data is required");
        }

        if (o.OutPath.Length == 0)
        {
            throw new ArgumentException("--out is required");
        }

        return o;
    }
}
