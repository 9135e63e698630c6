using System.CommandLine;
using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Evaluation;
using FacePipeline.Extraction;
using FacePipeline.Head;
using FacePipeline.Prediction;
using FacePipeline.Reporting;

namespace FacePipeline.Cli.Predict;

/// <summary>The <c>Predict</c> program: recognise faces with a trained head, or score a labelled set (<c>evaluate</c>).</summary>
public static class PredictCommand
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, CommandIo.Console);

    /// <summary>Runs the program with the given output streams (tests call this in-process).</summary>
    public static Task<int> RunAsync(string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Predict: recognise faces with a trained head (the backbone it names runs first). 'Predict evaluate' scores a labelled set.");
        Option<string> head = HeadOption();
        Option<string?> images = CommonOptions.Images();
        Option<string?> manifest = CommonOptions.Manifest();
        var files = new Argument<string[]>("FILE") { Description = "Image files to predict (instead of --images/--manifest)", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--out") { Description = "Write predictions CSV here instead of stdout", HelpName = "predictions.csv" };
        var topK = new Option<int>("--top-k") { Description = "Labels listed per image", DefaultValueFactory = _ => 3, Validators = { CommonOptions.Positive } };
        var unknown = new Option<double?>("--unknown-threshold")
        {
            Description = "Label a face 'unknown' when its top probability is below P (head.json suggests one) [default: none]",
            HelpName = "P",
        };
        Option<string?> model = CommonOptions.Model("The head's backbone model file, when it is not where the head's backbone name finds it [default: found by name]");
        Option<DeviceSpec> device = CommonOptions.Device();
        Option<int> batchSize = CommonOptions.BatchSize();
        Option<bool> strict = CommonOptions.Strict();
        foreach (Option option in new Option[] { head, images, manifest, output, topK, unknown, model, device, batchSize, strict })
        {
            root.Options.Add(option);
        }

        root.Arguments.Add(files);
        root.SetAction(async (parse, token) =>
        {
            string[] loose = parse.GetValue(files) ?? [];
            IReadOnlyList<LabelledImage> set = loose.Length > 0
                ? (parse.GetValue(images) is null && parse.GetValue(manifest) is null
                    ? loose.Select(f => new LabelledImage(f, Path.GetFullPath(CommandRunner.RequireFile(f, "image")), null, null)).ToList()
                    : throw new UsageException("give image FILEs or --images/--manifest, not both"))
                : CommonOptions.ReadImageSet(parse.GetValue(images), parse.GetValue(manifest), requireLabels: false);
            double? threshold = parse.GetValue(unknown);
            if (threshold is < 0 or > 1)
            {
                throw new UsageException("--unknown-threshold must be between 0 and 1");
            }

            using HeadClassifier classifier = HeadClassifier.Load(CommandRunner.RequireFolder(parse.GetValue(head)!, "head folder"));
            Backbone backbone = HeadPredictor.ResolveBackbone(classifier, parse.GetValue(model), BackboneCatalog.Default());
            using BackboneSession session = OpenSession(backbone, parse.GetValue(device)!, io);
            int k = Math.Min(parse.GetValue(topK), classifier.Labels.Count);
            var rows = new List<string?[]>();
            var failures = new List<ImageFailure>();
            var bar = new ProgressReporter(io, "images");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await foreach ((LabelledImage image, FacePrediction? prediction, string? failure) in HeadPredictor.PredictImagesAsync(
                classifier, session, set, parse.GetValue(batchSize), k, threshold, token))
            {
                if (prediction is null)
                {
                    failures.Add(new ImageFailure(image.Path, failure!));
                    io.WriteNote($"skipped: {image.Path}: {failure}");
                }
                else
                {
                    rows.Add(PredictionRow(prediction, k));
                }

                if (set.Count > 1)
                {
                    bar.Report(rows.Count + failures.Count, set.Count, clock.Elapsed.TotalSeconds, failures.Count);
                }
            }

            bar.Finish();
            string[] header = PredictionHeader(k);
            string? outPath = parse.GetValue(output);
            if (outPath is null)
            {
                using Stream stdout = new MemoryStream();
                CsvTable.Write(stdout, header, rows);
                stdout.Position = 0;
                using var reader = new StreamReader(stdout);
                await io.Out.WriteAsync(await reader.ReadToEndAsync(token));
                await io.Out.FlushAsync(token);
            }
            else
            {
                CsvTable.Write(outPath, header, rows);
                if (failures.Count > 0)
                {
                    string errors = Path.ChangeExtension(outPath, ".errors.csv");
                    CsvTable.Write(errors, ["path", "reason"], failures.Select(f => new[] { f.Path, f.Reason }));
                }

                io.WriteNote($"predict: {rows.Count} predicted, {failures.Count} failed; written to {outPath}");
            }

            if (parse.GetValue(strict) && failures.Count > 0)
            {
                io.WriteError($"{failures.Count} image(s) could not be read and --strict is set");
                return ExitCodes.Failed;
            }

            return ExitCodes.Success;
        });
        root.Subcommands.Add(EvaluateCommand(io));
        return CommandRunner.RunAsync(root, args, io, cancellationToken);
    }

    private static Command EvaluateCommand(CommandIo io)
    {
        Option<string> head = HeadOption();
        var features = new Option<string?>("--features") { Description = "Score the rows of this feature cache (no image decoding)", HelpName = "CACHE_DIR" };
        Option<string?> images = CommonOptions.Images();
        Option<string?> manifest = CommonOptions.Manifest();
        var split = new Option<string?>("--split") { Description = "Score only rows whose split is this value, e.g. test [default: all rows]", HelpName = "SPLIT" };
        var output = new Option<string>("--out") { Description = "Report folder: metrics.json, per-class.csv, confusion.csv/.png, misclassified.csv", HelpName = "REPORT_DIR", Required = true };
        var minimum = new Option<double?>("--min-accuracy") { Description = "Exit with code 3 when accuracy is below X (for scheduled jobs) [default: none]", HelpName = "X" };
        var topK = new Option<int>("--top-k") { Description = "k of the top-k accuracy", DefaultValueFactory = _ => 5, Validators = { CommonOptions.Positive } };
        Option<string?> model = CommonOptions.Model("The head's backbone model file, when scoring images [default: found by the head's backbone name]");
        Option<DeviceSpec> device = CommonOptions.Device();
        Option<int> batchSize = CommonOptions.BatchSize();
        var command = new Command("evaluate", "Score a labelled set (a feature cache or images) with a head and write a report; --min-accuracy makes it a gate.")
        {
            head, features, images, manifest, split, output, minimum, topK, model, device, batchSize,
        };
        command.SetAction(async (parse, token) =>
        {
            int sources = new object?[] { parse.GetValue(features), parse.GetValue(images), parse.GetValue(manifest) }.Count(v => v is not null);
            if (sources != 1)
            {
                throw new UsageException("give exactly one of --features CACHE_DIR, --images DIR or --manifest CSV");
            }

            double? bar = parse.GetValue(minimum);
            if (bar is < 0 or > 1)
            {
                throw new UsageException("--min-accuracy must be between 0 and 1");
            }

            using HeadClassifier classifier = HeadClassifier.Load(CommandRunner.RequireFolder(parse.GetValue(head)!, "head folder"));
            string? wantedSplit = parse.GetValue(split);
            int k = parse.GetValue(topK);
            var truth = new List<string>();
            var ranked = new List<IReadOnlyList<string>>();
            var scored = new List<FacePrediction>();
            string source;
            if (parse.GetValue(features) is string cache)
            {
                source = Path.GetFullPath(CommandRunner.RequireFolder(cache, "feature cache"));
                await foreach ((var row, FacePrediction prediction) in HeadPredictor.PredictCacheAsync(classifier, cache, wantedSplit, k, token))
                {
                    truth.Add(row.Label);
                    ranked.Add(prediction.Top.Select(t => t.Label).ToList());
                    scored.Add(prediction);
                }
            }
            else
            {
                IReadOnlyList<LabelledImage> set = CommonOptions.ReadImageSet(parse.GetValue(images), parse.GetValue(manifest))
                    .Where(i => wantedSplit is null || string.Equals(i.Split, wantedSplit, StringComparison.OrdinalIgnoreCase)).ToList();
                source = Path.GetFullPath(parse.GetValue(images) ?? parse.GetValue(manifest)!);
                Backbone backbone = HeadPredictor.ResolveBackbone(classifier, parse.GetValue(model), BackboneCatalog.Default());
                using BackboneSession session = OpenSession(backbone, parse.GetValue(device)!, io);
                await foreach ((LabelledImage image, FacePrediction? prediction, string? failure) in HeadPredictor.PredictImagesAsync(
                    classifier, session, set, parse.GetValue(batchSize), k, null, token))
                {
                    if (prediction is null)
                    {
                        io.WriteNote($"skipped: {image.Path}: {failure}");
                        continue;
                    }

                    truth.Add(image.Label!);
                    ranked.Add(prediction.Top.Select(t => t.Label).ToList());
                    scored.Add(prediction);
                }
            }

            if (truth.Count == 0)
            {
                throw new UsageException(wantedSplit is null ? $"{source}: nothing to evaluate" : $"{source}: no rows with split '{wantedSplit}'");
            }

            ClassificationReport report = ClassificationMetrics.Compute(truth, ranked, classifier.Labels.ToList(), k);
            var misclassified = scored.Select((p, i) => (p, i)).Where(x => x.p.Label != truth[x.i])
                .Select(x => new Misclassification(x.p.Path, truth[x.i], x.p.Label, x.p.Confidence)).ToList();
            var context = new Dictionary<string, object?>
            {
                ["timestamp_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["tool_version"] = ToolInfo.Version,
                ["source"] = source,
                ["split"] = wantedSplit,
                ["head"] = new Dictionary<string, object?>
                {
                    ["folder"] = Path.GetFullPath(classifier.Folder),
                    ["created_utc"] = classifier.Description.CreatedUtc,
                    ["classes"] = classifier.Labels.Count,
                    ["val_accuracy"] = classifier.Description.Metrics.ValAccuracy,
                },
                ["backbone"] = classifier.Description.Backbone,
                ["min_accuracy"] = bar,
            };
            string reportFolder = parse.GetValue(output)!;
            EvaluationReportWriter.Write(reportFolder, report, misclassified, context);

            string worst = string.Join(", ", report.Worst(3).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Label} (f1 {c.F1:F2})")));
            io.WriteNote(string.Create(CultureInfo.InvariantCulture,
                $"evaluate: accuracy {report.Accuracy:F4} on {report.Count} images, top-{report.TopK} {report.TopKAccuracy:F4}, macro F1 {report.MacroF1:F4}; worst: {(worst.Length > 0 ? worst : "none")}"));
            if (report.UnseenLabels.Count > 0)
            {
                io.WriteNote($"evaluate: {report.UnseenLabels.Count} label(s) the head never saw, counted as errors: {string.Join(", ", report.UnseenLabels.Take(10))}");
            }

            io.WriteNote($"evaluate: report written to {reportFolder}");
            if (bar is double required && report.Accuracy < required)
            {
                io.WriteError(string.Create(CultureInfo.InvariantCulture, $"{reportFolder}: accuracy {report.Accuracy:F4} is below --min-accuracy {required}"));
                return ExitCodes.BelowMinimumAccuracy;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<string> HeadOption() => new("--head") { Description = "Head folder written by TrainHead", HelpName = "HEAD_DIR", Required = true };

    private static BackboneSession OpenSession(Backbone backbone, DeviceSpec device, CommandIo io)
    {
        BackboneSession session = BackboneSession.Open(backbone, device, out string? notice);
        if (notice is not null)
        {
            io.WriteNote(notice);
        }

        if (backbone.NotPretrainedWarning is string warning)
        {
            io.WriteNote(warning);
        }

        return session;
    }

    private static string[] PredictionHeader(int k)
    {
        var header = new List<string> { "path", "label", "confidence" };
        for (int i = 1; i <= k; i++)
        {
            header.Add($"top{i}");
            header.Add($"p{i}");
        }

        return header.ToArray();
    }

    private static string?[] PredictionRow(FacePrediction prediction, int k)
    {
        var row = new List<string?> { prediction.Path, prediction.Label, Probability(prediction.Confidence) };
        for (int i = 0; i < k; i++)
        {
            row.Add(i < prediction.Top.Count ? prediction.Top[i].Label : null);
            row.Add(i < prediction.Top.Count ? Probability(prediction.Top[i].Probability) : null);
        }

        return row.ToArray();
    }

    private static string Probability(double p) => p.ToString("0.######", CultureInfo.InvariantCulture);
}
