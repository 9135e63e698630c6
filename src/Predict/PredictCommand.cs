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
        using HeadClassifier classifier = HeadClassifier.Load(CommandRunner.RequireFolder(parse.GetValue(o.Head)!, "head folder"));
        double? threshold = UnknownThresholdFor(parse, o.Unknown, classifier, out string? thresholdNote);
        Backbone backbone = HeadPredictor.ResolveBackbone(classifier, parse.GetValue(o.Model), BackboneCatalog.Default());
        if (parse.GetValue(o.Output) is string outPath)
        {
            PredictionCsvWriter.EnsureWritable(outPath, InputsOf(parse.GetValue(o.Head)!, parse.GetValue(o.Manifest), set, backbone, classifier));
        }

        int batchSize = CommonOptions.BatchSizeFor(parse, o.BatchSize, backbone);
        using BackboneSession session = OpenSession(backbone, parse.GetValue(o.Device)!, batchSize, io);
        using FaceStageSession? faces = OpenFaces(classifier, backbone, parse.GetValue(o.Device)!);
        WriteNote(io, thresholdNote);
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

    /// <summary>Every file and folder the main command reads, for <see cref="PredictionCsvWriter.EnsureWritable"/>.</summary>
    private static List<(string Path, string What)> InputsOf(string head, string? manifest, IReadOnlyList<LabelledImage> set, Backbone backbone, HeadClassifier classifier)
    {
        var inputs = new List<(string Path, string What)> { (head, "head folder"), (backbone.ModelPath, "backbone model") };
        if (manifest is not null)
        {
            inputs.Add((manifest, "manifest"));
        }

        if (classifier.Description.Features.FaceStage.DetectorName is string detector)
        {
            inputs.Add((FaceDetectorCatalog.Default().Resolve(detector).ModelPath, "face detector model"));
        }

        inputs.AddRange(set.Select(image => (image.FullPath, "image")));
        return inputs;
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
        var maximumFar = new Option<double?>("--max-far") { Description = "Exit with code 3 when more than this share of strangers (faces of people the head does not know) get a name [default: none]", HelpName = "F", CustomParser = CommonOptions.OptionalNumber };
        Option<string?> unknown = UnknownThresholdOption();
        var topK = new Option<int>("--top-k") { Description = "k of the top-k accuracy", DefaultValueFactory = _ => 5, CustomParser = CommonOptions.WholeNumber, Validators = { CommonOptions.Positive } };
        Option<string?> model = CommonOptions.Model("The head's backbone model file, when scoring images [default: found by the head's backbone name]");
        Option<DeviceSpec> device = CommonOptions.Device();
        Option<int> batchSize = CommonOptions.BatchSize();
        var command = new Command("evaluate", "Score a labelled set (a feature cache or images) with a head and write a report; --min-accuracy makes it a gate.")
        {
            head, features, images, manifest, split, output, minimum, maximumFar, unknown, topK, model, device, batchSize,
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
            double? farBar = parse.GetValue(maximumFar);
            if (farBar is < 0 or > 1)
            {
                throw new UsageException("--max-far must be between 0 and 1");
            }

            using HeadClassifier classifier = HeadClassifier.Load(CommandRunner.RequireFolder(parse.GetValue(head)!, "head folder"));
            double? threshold = UnknownThresholdFor(parse, unknown, classifier, out string? thresholdNote);
            HeadEvaluation evaluation = await GatherAsync(parse, classifier, features, images, manifest, split, topK, model, device, batchSize, io, token);
            WriteNote(io, thresholdNote);
            if (evaluation.Count == 0)
            {
                throw new UsageException(evaluation.Split is null ? $"{evaluation.Source}: nothing to evaluate" : $"{evaluation.Source}: no rows with split '{evaluation.Split}'");
            }

            EvaluationOutcome outcome = evaluation.WriteReport(reportFolder, new EvaluationBars(bar, farBar), threshold);
            return Summarise(outcome, reportFolder, new EvaluationBars(bar, farBar), io);
        });
        return command;
    }

    /// <summary><c>--unknown-threshold none|P</c>: off, or a score; when not given, the head's own threshold.</summary>
    private static Option<string?> UnknownThresholdOption() => new("--unknown-threshold")
    {
        Description = "Label a face 'unknown' when its score (mlp: top-1 probability; prototype: cosine) is below P; none: never [default: the head's threshold from head.json]",
        HelpName = "none|P",
    };

    private static void WriteNote(CommandIo io, string? note)
    {
        if (note is not null)
        {
            io.WriteNote(note);
        }
    }

    /// <summary>The threshold to apply: the option's value, else the head's (then <paramref name="note"/> says which one and how it was set).</summary>
    private static double? UnknownThresholdFor(ParseResult parse, Option<string?> option, HeadClassifier classifier, out string? note)
    {
        note = null;
        string? text = parse.GetValue(option);
        if (text is null)
        {
            double? own = classifier.Description.SuggestedUnknownThreshold;
            string calibration = classifier.Description.Strangers is { } s
                ? string.Create(CultureInfo.InvariantCulture, $"calibrated at FAR {s.TargetFar} on {s.Count} strangers")
                : "not calibrated against strangers";
            note = own is double t
                ? string.Create(CultureInfo.InvariantCulture, $"predict: faces with a {classifier.ScoreName} below {t:F4} are labelled unknown (the head's threshold, {calibration}; --unknown-threshold none|P to change)")
                : "predict: the head has no unknown threshold; every face gets a name (--unknown-threshold P to set one)";
            return own;
        }

        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new UsageException($"--unknown-threshold: '{text}' is neither none nor a number");
        }

        if (value < classifier.LowestScore || value > 1)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--unknown-threshold must be none or between {classifier.LowestScore} and 1 (a {classifier.ScoreName})"));
        }

        return value;
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
        FaceStageSession.OpenRecorded(classifier.Description.Features.FaceStage, FaceDetectorCatalog.Default(), backbone, device, out _);

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

    private static int Summarise(EvaluationOutcome outcome, string reportFolder, EvaluationBars bars, CommandIo io)
    {
        ClassificationReport report = outcome.Report;
        OpenSetReport open = outcome.OpenSet;
        string worst = string.Join(", ", report.Worst(3).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Label} (f1 {c.F1:F2})")));
        io.WriteNote(string.Create(CultureInfo.InvariantCulture,
            $"evaluate: accuracy {report.Accuracy:F4} on {report.Count} images, top-{report.TopK} {report.TopKAccuracy:F4}, macro F1 {report.MacroF1:F4}; worst: {(worst.Length > 0 ? worst : "none")}"));
        string threshold = open.Threshold is double t ? t.ToString("F4", CultureInfo.InvariantCulture) : "none";
        string far = open.Far is double f ? string.Create(CultureInfo.InvariantCulture, $"FAR {f:F4} on {open.UnknownCount} stranger faces ({report.UnseenLabels.Count} people the head does not know)") : "no strangers in this set (FAR not measured)";
        io.WriteNote(string.Create(CultureInfo.InvariantCulture, $"evaluate: open set at unknown threshold {threshold}: DIR {open.Dir:F4} on {open.KnownCount} known faces, {far}"));
        if (outcome.PlotErrors.Count > 0)
        {
            io.WriteNote($"warning: plots left out of the report: {string.Join("; ", outcome.PlotErrors)}");
        }

        io.WriteNote($"evaluate: report written to {reportFolder}");
        int code = ExitCodes.Success;
        if (bars.MinAccuracy is double required && report.Accuracy < required)
        {
            io.WriteError(string.Create(CultureInfo.InvariantCulture, $"{reportFolder}: accuracy {report.Accuracy:F4} is below --min-accuracy {required}"));
            code = ExitCodes.BelowMinimumAccuracy;
        }

        if (bars.MaxFar is not null && open.Far is null)
        {
            io.WriteError($"{reportFolder}: --max-far cannot be checked: the set holds no faces of people the head does not know; add strangers to the evaluation set or drop --max-far");
            return ExitCodes.Failed;
        }

        if (bars.MaxFar is double allowed && open.Far is double reached && reached > allowed)
        {
            io.WriteError(string.Create(CultureInfo.InvariantCulture, $"{reportFolder}: FAR {reached:F4} ({open.FalseAccepts} of {open.UnknownCount} stranger faces named) is above --max-far {allowed}"));
            code = ExitCodes.BelowMinimumAccuracy;
        }

        return code;
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

        public Option<string?> Unknown { get; } = UnknownThresholdOption();

        public Option<string?> Model { get; } = CommonOptions.Model("The head's backbone model file, when it is not where the head's backbone name finds it [default: found by name]");

        public Option<DeviceSpec> Device { get; } = CommonOptions.Device();

        public Option<int> BatchSize { get; } = CommonOptions.BatchSize();

        public Option<bool> Strict { get; } = CommonOptions.Strict();
    }
}
