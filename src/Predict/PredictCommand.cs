using System.CommandLine;
using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Evaluation;
using FacePipeline.Faces;
using FacePipeline.Extraction;
using FacePipeline.Head;
using FacePipeline.Prediction;

namespace FacePipeline.Cli.Predict;

/// <summary>The <c>Predict</c> program: recognise faces with a trained head, or score a labelled set (<c>evaluate</c>).</summary>
public static class PredictCommand
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => CommandRunner.MainAsync(RunAsync, args);

    /// <summary>Runs the program with the given output streams (tests call this in-process).</summary>
    public static Task<int> RunAsync(string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Predict: recognise faces with a trained head (the backbone it names runs first). 'Predict evaluate' scores a labelled set.");
        var o = new MainOptions();
        foreach (Option option in new Option[] { o.Head, o.Images, o.Manifest, o.Output, o.TopK, o.Unknown, o.Model, o.Device, o.BatchSize, o.Strict })
        {
            root.Options.Add(option);
        }

        root.Arguments.Add(o.Files);
        root.SetAction((parse, token) => PredictAsync(parse, o, io, token));
        root.Subcommands.Add(EvaluateCommand(io));
        return CommandRunner.RunAsync(root, args, io, cancellationToken);
    }

    /// <summary>The main command's action: loads the head and its backbone, predicts every image and writes the CSV.</summary>
    private static async Task<int> PredictAsync(ParseResult parse, MainOptions o, CommandIo io, CancellationToken token)
    {
        string[] loose = parse.GetValue(o.Files) ?? [];
        IReadOnlyList<LabelledImage> set = loose.Length > 0
            ? (parse.GetValue(o.Images) is null && parse.GetValue(o.Manifest) is null
                ? loose.Select(f => new LabelledImage(f, Path.GetFullPath(CommandRunner.RequireFile(f, "image")), null, null)).ToList()
                : throw new UsageException("give image FILEs or --images/--manifest, not both"))
            : CommonOptions.ReadImageSet(parse.GetValue(o.Images), parse.GetValue(o.Manifest), requireLabels: false);
        double? threshold = parse.GetValue(o.Unknown);
        if (threshold is < 0 or > 1)
        {
            throw new UsageException("--unknown-threshold must be between 0 and 1");
        }

        using HeadClassifier classifier = HeadClassifier.Load(CommandRunner.RequireFolder(parse.GetValue(o.Head)!, "head folder"));
        Backbone backbone = HeadPredictor.ResolveBackbone(classifier, parse.GetValue(o.Model), BackboneCatalog.Default());
        int batchSize = CommonOptions.BatchSizeFor(parse, o.BatchSize, backbone);
        using BackboneSession session = OpenSession(backbone, parse.GetValue(o.Device)!, batchSize, io);
        using FaceStageSession? faces = OpenFaces(classifier, backbone, parse.GetValue(o.Device)!);
        int k = Math.Min(parse.GetValue(o.TopK), classifier.Labels.Count);
        var bar = new ProgressReporter(io, "images");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PredictionRun run = await PredictionRun.PredictAsync(classifier, session, set, batchSize, k, threshold, faces, (done, failed, skipped) =>
        {
            if (skipped is not null)
            {
                io.WriteNote($"skipped: {skipped.Path}: {skipped.Reason}");
            }

            if (set.Count > 1)
            {
                bar.Report(done, set.Count, clock.Elapsed.TotalSeconds, failed);
            }
        }, token);
        bar.Finish();
        return await WritePredictionsAsync(run, k, parse.GetValue(o.Output), parse.GetValue(o.Strict), io, token);
    }

    private static Command EvaluateCommand(CommandIo io)
    {
        Option<string> head = HeadOption();
        var features = new Option<string?>("--features") { Description = "Score the rows of this feature cache (no image decoding)", HelpName = "CACHE_DIR" };
        Option<string?> images = CommonOptions.Images();
        Option<string?> manifest = CommonOptions.Manifest();
        var split = new Option<string?>("--split") { Description = "Score only rows whose split is this value, e.g. test [default: all rows]", HelpName = "SPLIT" };
        var output = new Option<string>("--out") { Description = "Report folder: metrics.json, per-class.csv, confusion.csv/.png, misclassified.csv", HelpName = "REPORT_DIR", Required = true };
        var minimum = new Option<double?>("--min-accuracy") { Description = "Exit with code 3 when accuracy is below X (for scheduled jobs) [default: none]", HelpName = "X", CustomParser = CommonOptions.OptionalNumber };
        var topK = new Option<int>("--top-k") { Description = "k of the top-k accuracy", DefaultValueFactory = _ => 5, CustomParser = CommonOptions.WholeNumber, Validators = { CommonOptions.Positive } };
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

            string reportFolder = parse.GetValue(output)!;
            string source = parse.GetValue(features) ?? parse.GetValue(images) ?? parse.GetValue(manifest)!;
            HeadEvaluation.EnsureReportFolder(reportFolder, parse.GetValue(head)!, source);
            using HeadClassifier classifier = HeadClassifier.Load(CommandRunner.RequireFolder(parse.GetValue(head)!, "head folder"));
            HeadEvaluation evaluation = await GatherAsync(parse, classifier, features, images, manifest, split, topK, model, device, batchSize, io, token);
            if (evaluation.Count == 0)
            {
                throw new UsageException(evaluation.Split is null ? $"{evaluation.Source}: nothing to evaluate" : $"{evaluation.Source}: no rows with split '{evaluation.Split}'");
            }

            ClassificationReport report = evaluation.WriteReport(reportFolder, bar);
            return Summarise(report, reportFolder, bar, io);
        });
        return command;
    }

    private static Option<string> HeadOption() => new("--head") { Description = "Head folder written by TrainHead", HelpName = "HEAD_DIR", Required = true };

    private static BackboneSession OpenSession(Backbone backbone, DeviceSpec device, int batchSize, CommandIo io)
    {
        BackboneSession session = BackboneSession.Open(backbone, device, batchSize, out string? notice);
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

    /// <summary>The face stage the head was trained with (null for whole images): Predict always uses the head's.</summary>
    private static FaceStageSession? OpenFaces(HeadClassifier classifier, Backbone backbone, DeviceSpec device) =>
        FaceStageSession.OpenRecorded(classifier.Description.Backbone.FaceStage, FaceDetectorCatalog.Default(), backbone, device, out _);

    private static async Task<int> WritePredictionsAsync(PredictionRun run, int k, string? outPath, bool strict, CommandIo io, CancellationToken token)
    {
        if (outPath is null)
        {
            await PredictionCsvWriter.WriteAsync(io.Out, run.Predictions, k, token);
        }
        else
        {
            PredictionCsvWriter.Write(outPath, run.Predictions, run.Failures, k);
            int images = run.Predictions.Select(p => p.Path).Distinct(StringComparer.Ordinal).Count();
            int withoutFace = run.Predictions.Count(p => p.NoFace);
            io.WriteNote($"predict: {images} image(s) read, {run.Predictions.Count - withoutFace} face(s) predicted, {withoutFace} image(s) without a face, {run.Failures.Count} failed; written to {outPath}");
        }

        if (strict && run.Failures.Count > 0)
        {
            io.WriteError($"{run.Failures.Count} image(s) could not be read and --strict is set");
            return ExitCodes.Failed;
        }

        return ExitCodes.Success;
    }

    private static async Task<HeadEvaluation> GatherAsync(
        ParseResult parse,
        HeadClassifier classifier,
        Option<string?> features,
        Option<string?> images,
        Option<string?> manifest,
        Option<string?> split,
        Option<int> topK,
        Option<string?> model,
        Option<DeviceSpec> device,
        Option<int> batchSize,
        CommandIo io,
        CancellationToken token)
    {
        if (parse.GetValue(features) is string cache)
        {
            return await HeadEvaluation.FromCacheAsync(classifier, CommandRunner.RequireFolder(cache, "feature cache"), parse.GetValue(split), parse.GetValue(topK), token);
        }

        IReadOnlyList<LabelledImage> set = CommonOptions.ReadImageSet(parse.GetValue(images), parse.GetValue(manifest));
        Backbone backbone = HeadPredictor.ResolveBackbone(classifier, parse.GetValue(model), BackboneCatalog.Default());
        int size = CommonOptions.BatchSizeFor(parse, batchSize, backbone);
        using BackboneSession session = OpenSession(backbone, parse.GetValue(device)!, size, io);
        using FaceStageSession? faces = OpenFaces(classifier, backbone, parse.GetValue(device)!);
        return await HeadEvaluation.FromImagesAsync(
            classifier, session, set, parse.GetValue(images) ?? parse.GetValue(manifest)!, parse.GetValue(split), size, parse.GetValue(topK),
            faces, (path, failure) => io.WriteNote($"skipped: {path}: {failure}"), token);
    }

    private static int Summarise(ClassificationReport report, string reportFolder, double? bar, CommandIo io)
    {
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
    }

    /// <summary>The main command's options and argument.</summary>
    private sealed class MainOptions
    {
        public Option<string> Head { get; } = HeadOption();

        public Option<string?> Images { get; } = CommonOptions.Images();

        public Option<string?> Manifest { get; } = CommonOptions.Manifest();

        public Argument<string[]> Files { get; } = new("FILE") { Description = "Image files to predict (instead of --images/--manifest)", Arity = ArgumentArity.ZeroOrMore };

        public Option<string?> Output { get; } = new("--out") { Description = "Write predictions CSV here instead of stdout", HelpName = "predictions.csv" };

        public Option<int> TopK { get; } = new("--top-k") { Description = "Labels listed per image", DefaultValueFactory = _ => 3, CustomParser = CommonOptions.WholeNumber, Validators = { CommonOptions.Positive } };

        public Option<double?> Unknown { get; } = new("--unknown-threshold")
        {
            Description = "Label a face 'unknown' when its top probability is below P (head.json suggests one) [default: none]",
            HelpName = "P",
            CustomParser = CommonOptions.OptionalNumber,
        };

        public Option<string?> Model { get; } = CommonOptions.Model("The head's backbone model file, when it is not where the head's backbone name finds it [default: found by name]");

        public Option<DeviceSpec> Device { get; } = CommonOptions.Device();

        public Option<int> BatchSize { get; } = CommonOptions.BatchSize();

        public Option<bool> Strict { get; } = CommonOptions.Strict();
    }
}
