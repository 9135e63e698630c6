using System.CommandLine;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;

namespace FacePipeline.Cli.Extract;

/// <summary>The <c>Extract</c> program: caches backbone features for every image of a labelled set.</summary>
public static class ExtractCommand
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => CommandRunner.MainAsync(RunAsync, args);

    /// <summary>Runs the program with the given output streams (tests call this in-process).</summary>
    public static Task<int> RunAsync(string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        var o = new MainOptions();
        var root = new RootCommand("Extract: run the frozen backbone over every image and cache the features in Parquet; re-runs compute only new or changed images.")
        {
            o.Images, o.Manifest, o.Output, o.Model, o.Device, o.BatchSize, o.Shard, o.ShardCount, o.Strict, o.Rebuild, o.Faces, o.Detector, o.FlipTta,
        };
        root.SetAction((parse, token) => RunMainAsync(parse, o, io, token));
        root.Subcommands.Add(VerifyCommand(io));
        return CommandRunner.RunAsync(root, args, io, cancellationToken);
    }

    /// <summary>The main command's action: resolves shard, images, backbone and face stage, then extracts.</summary>
    private static async Task<int> RunMainAsync(ParseResult parse, MainOptions o, CommandIo io, CancellationToken token)
    {
        ShardSpec shardSpec = ResolveShard(parse.GetValue(o.Shard), parse.GetValue(o.ShardCount));
        IReadOnlyList<LabelledImage> set = CommonOptions.ReadImageSet(parse.GetValue(o.Images), parse.GetValue(o.Manifest), excludedFolder: parse.GetValue(o.Output));
        foreach (string caseWarning in LabelRules.CaseOnlyWarnings(set.Select(i => i.Label!)))
        {
            io.WriteNote(caseWarning);
        }

        Backbone backbone = BackboneCatalog.Default().Resolve(parse.GetValue(o.Model), out string? notice);
        if (notice is not null)
        {
            io.WriteNote(notice);
        }

        if (backbone.NotPretrainedWarning is string warning)
        {
            io.WriteNote(warning);
        }

        FaceStageChoice choice = await FaceStagePolicy.ChooseAsync(
            parse.GetValue(o.Faces), parse.GetValue(o.FlipTta), parse.GetValue(o.Detector)!, backbone, set, parse.GetValue(o.Output)!, parse.GetValue(o.Rebuild), FaceDetectorCatalog.Default(), parse.GetValue(o.Device)!, token);
        if (choice.Note is not null)
        {
            io.WriteNote(choice.Note);
        }

        var options = new ExtractionOptions
        {
            FaceStage = choice.Stage,
            Images = set,
            CacheFolder = parse.GetValue(o.Output)!,
            BatchSize = CommonOptions.BatchSizeFor(parse, o.BatchSize, backbone),
            Shard = shardSpec,
            Rebuild = parse.GetValue(o.Rebuild),
            Unlabelled = parse.GetValue(o.Images) is string folder ? ImageFolderReader.TopLevelFiles(folder) : [],
        };
        if (options.Unlabelled.Count > 0)
        {
            io.WriteNote($"extract: skipping {options.Unlabelled.Count} file(s) at the top level of {parse.GetValue(o.Images)}: a file needs a person folder for its label; they are listed in errors.csv");
        }

        return await ExtractAsync(backbone, choice.Detector, parse.GetValue(o.Device)!, options, parse.GetValue(o.Strict), io, token);
    }

    private static async Task<int> ExtractAsync(Backbone backbone, FaceDetector? detector, DeviceSpec device, ExtractionOptions options, bool strict, CommandIo io, CancellationToken token)
    {
        var extractor = new Extractor(
            backbone,
            () =>
            {
                BackboneSession session = BackboneSession.Open(backbone, device, options.BatchSize, out string? deviceNotice);
                if (deviceNotice is not null)
                {
                    io.WriteNote(deviceNotice);
                }

                return session;
            },
            detector is null ? null : () => FaceStageSession.Open(options.FaceStage, detector, backbone, device, out _));
        io.WriteNote($"extract: {options.Images.Count} images, backbone {backbone.Identity}, faces {options.FaceStage.Short}, flip-tta {(options.FaceStage.FlipTta ? "on" : "off")}, shard {options.Shard}, cache {options.CacheFolder}");
        var bar = new ProgressReporter(io, "images");
        var progress = new SynchronousProgress<ExtractionProgress>(p => bar.Report(p.Done, p.Total, p.ElapsedSeconds, p.Failed));
        ExtractionSummary summary = await extractor.RunAsync(options, progress, token);
        bar.Finish();
        foreach (ImageFailure failure in summary.Failures)
        {
            io.WriteNote($"skipped: {failure.Path}: {failure.Reason}");
        }

        io.WriteNote($"extract: {summary.Line} ({summary.TotalSeconds:F1} s, device {summary.Device}); errors listed in {Path.Combine(options.CacheFolder, FeatureCacheLayout.ErrorsFileNameOf(options.Shard))}");
        if (strict && summary.Failures.Count > 0)
        {
            io.WriteError($"{summary.Failures.Count} image(s) could not be read and --strict is set");
            return ExitCodes.Failed;
        }

        return ExitCodes.Success;
    }

    private static ShardSpec ResolveShard(string? text, int? count)
    {
        try
        {
            return ShardSpec.Resolve(text, count, Environment.GetEnvironmentVariable);
        }
        catch (FormatException error)
        {
            throw new UsageException(error.Message, error);
        }
    }

    private static Command VerifyCommand(CommandIo io)
    {
        var cache = new Argument<string>("CACHE_DIR") { Description = "The feature cache folder the shards wrote into" };
        Option<string?> images = CommonOptions.Images();
        images.Description += "; check that the cache covers it exactly once [default: check the cache alone]";
        Option<string?> manifest = CommonOptions.Manifest();
        manifest.Description += "; check that the cache covers it exactly once [default: check the cache alone]";
        var command = new Command("verify", "Check a (sharded) cache: every part readable including its data pages, one backbone identity, no path held twice, every shard ran, and with --images/--manifest the input covered exactly once (missing, extra, stale by SHA-256). Exit 0 when consistent, 1 with one line per problem.")
        {
            cache, images, manifest,
        };
        command.SetAction(async (parse, token) =>
        {
            string? imageFolder = parse.GetValue(images);
            string? manifestFile = parse.GetValue(manifest);
            if (imageFolder is not null && manifestFile is not null)
            {
                throw new UsageException("give at most one of --images DIR or --manifest CSV");
            }

            IReadOnlyList<LabelledImage>? input = imageFolder is null && manifestFile is null ? null : CommonOptions.ReadImageSet(imageFolder, manifestFile);
            CacheVerification result = await CacheVerifier.VerifyAsync(parse.GetValue(cache)!, input, token);
            foreach (CacheProblem problem in result.Problems)
            {
                io.WriteError(problem.ToString());
            }

            io.Out.WriteLine(result.Line);
            return result.Consistent ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>The main command's options, declared in help order.</summary>
    /// <summary>Values of an on/off option.</summary>
    private sealed class MainOptions
    {
        public Option<string?> Images { get; } = CommonOptions.Images();

        public Option<string?> Manifest { get; } = CommonOptions.Manifest();

        public Option<string> Output { get; } = new("--out")
        {
            Description = "Feature cache folder (created if missing; Parquet part files go inside)",
            HelpName = "CACHE_DIR",
            Required = true,
        };

        public Option<string?> Model { get; } = CommonOptions.Model(
            "Backbone: path to an .onnx file with its .json description, or a known name (mobilefacenet, resnet18, vgg16-notop) "
            + "[default: vgg16-notop if models/vgg16-notop.onnx exists, else the bundled face-trained mobilefacenet]");

        public Option<DeviceSpec> Device { get; } = CommonOptions.Device();

        public Option<int> BatchSize { get; } = CommonOptions.BatchSize();

        public Option<string?> Shard { get; } = new("--shard")
        {
            Description = $"Process only shard K of N (0-based K, by path hash) into this shard's own part files; 'auto' takes K from "
                + $"${ShardSpec.KubernetesIndexVariable} or ${ShardSpec.SlurmIndexVariable} and N from --shard-count [default: 0/1, the whole set]",
            HelpName = "K/N|auto",
        };

        public Option<int?> ShardCount { get; } = new("--shard-count")
        {
            Description = "N, the number of shards, with --shard auto (required there: the scheduler's own count is not trusted) [default: none]",
            HelpName = "N",
            CustomParser = CommonOptions.OptionalWholeNumber,
        };

        public Option<bool> Strict { get; } = CommonOptions.Strict();

        public Option<bool> Rebuild { get; } = new("--rebuild")
        {
            Description = "Drop this shard's cached rows and recompute them, even if another backbone made them [default: off]",
        };

        public Option<FaceStageMode> Faces { get; } = new("--faces")
        {
            Description = "Face stage: detect, pick the largest face and align it onto the backbone's geometry (detect), feed whole images (none), "
                + $"or auto: keep the stage the cache records, else detect when a face is found in >= {FaceStagePolicy.MinFoundFraction * 100:0} % of a "
                + $"sample of up to {FaceStagePolicy.SampleSize} input images",
            HelpName = "auto|detect|none",
            DefaultValueFactory = _ => FaceStageMode.Auto,
            CustomParser = CommonOptions.Choice<FaceStageMode>,
        };

        public Option<FlipTtaMode> FlipTta { get; } = new("--flip-tta")
        {
            Description = "Flip test-time augmentation: average each face's features with those of its horizontal mirror (two backbone runs per face); "
                + "part of the cache identity, so a cache holds one setting and heads and Predict follow it; auto keeps the cache's setting, "
                + "off for a new cache or --rebuild",
            HelpName = "auto|on|off",
            DefaultValueFactory = _ => FlipTtaMode.Auto,
            CustomParser = CommonOptions.Choice<FlipTtaMode>,
        };

        public Option<string> Detector { get; } = new("--detector")
        {
            Description = $"Face detector: a known name ({string.Join(", ", FaceDetectorCatalog.KnownNames)}) or a path to its .json/.onnx",
            HelpName = "NAME|PATH",
            DefaultValueFactory = _ => FaceDetectorCatalog.BlazefaceFrontName,
        };
    }
}
