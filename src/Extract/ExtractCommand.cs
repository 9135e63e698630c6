using System.CommandLine;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;

namespace FacePipeline.Cli.Extract;

/// <summary>The <c>Extract</c> program: caches backbone features for every image of a labelled set.</summary>
public static class ExtractCommand
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, CommandIo.Console);

    /// <summary>Runs the program with the given output streams (tests call this in-process).</summary>
    public static Task<int> RunAsync(string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        Option<string?> images = CommonOptions.Images();
        Option<string?> manifest = CommonOptions.Manifest();
        var output = new Option<string>("--out")
        {
            Description = "Feature cache folder (created if missing; Parquet part files go inside)",
            HelpName = "CACHE_DIR",
            Required = true,
        };
        Option<string?> model = CommonOptions.Model(
            "Backbone: path to an .onnx file with its .json description, or a known name (resnet18, vgg16-notop) "
            + "[default: vgg16-notop if models/vgg16-notop.onnx exists, else the bundled resnet18]");
        Option<DeviceSpec> device = CommonOptions.Device();
        Option<int> batchSize = CommonOptions.BatchSize();
        var shard = new Option<ShardSpec>("--shard")
        {
            Description = "Process only shard K of N (0-based K, by path hash) into this shard's own part files",
            HelpName = "K/N",
            DefaultValueFactory = _ => ShardSpec.All,
            CustomParser = CommonOptions.ParseShard,
        };
        Option<bool> strict = CommonOptions.Strict();
        var rebuild = new Option<bool>("--rebuild")
        {
            Description = "Drop this shard's cached rows and recompute them, even if another backbone made them [default: off]",
        };

        var root = new RootCommand("Extract: run the frozen backbone over every image and cache the features in Parquet; re-runs compute only new or changed images.")
        {
            images, manifest, output, model, device, batchSize, shard, strict, rebuild,
        };
        root.SetAction(async (parse, token) =>
        {
            IReadOnlyList<LabelledImage> set = CommonOptions.ReadImageSet(parse.GetValue(images), parse.GetValue(manifest));
            Backbone backbone = BackboneCatalog.Default().Resolve(parse.GetValue(model), out string? notice);
            if (notice is not null)
            {
                io.WriteNote(notice);
            }

            if (backbone.NotPretrainedWarning is string warning)
            {
                io.WriteNote(warning);
            }

            DeviceSpec deviceSpec = parse.GetValue(device)!;
            var extractor = new Extractor(backbone, () =>
            {
                BackboneSession session = BackboneSession.Open(backbone, deviceSpec, out string? deviceNotice);
                if (deviceNotice is not null)
                {
                    io.WriteNote(deviceNotice);
                }

                return session;
            });
            var options = new ExtractionOptions
            {
                Images = set,
                CacheFolder = parse.GetValue(output)!,
                BatchSize = parse.GetValue(batchSize),
                Shard = parse.GetValue(shard)!,
                Rebuild = parse.GetValue(rebuild),
            };
            io.WriteNote($"extract: {set.Count} images, backbone {backbone.Identity}, shard {options.Shard}, cache {options.CacheFolder}");
            var bar = new ProgressReporter(io, "images");
            var progress = new SynchronousProgress<ExtractionProgress>(p => bar.Report(p.Done, p.Total, p.ElapsedSeconds, p.Failed));
            ExtractionSummary summary = await extractor.RunAsync(options, progress, token);
            bar.Finish();
            foreach (ImageFailure failure in summary.Failures)
            {
                io.WriteNote($"skipped: {failure.Path}: {failure.Reason}");
            }

            io.WriteNote($"extract: {summary.Line} ({summary.TotalSeconds:F1} s, device {summary.Device}); errors listed in {Path.Combine(options.CacheFolder, Extractor.ErrorsFileName(options.Shard))}");
            if (parse.GetValue(strict) && summary.Failures.Count > 0)
            {
                io.WriteError($"{summary.Failures.Count} image(s) could not be read and --strict is set");
                return ExitCodes.Failed;
            }

            return ExitCodes.Success;
        });
        return CommandRunner.RunAsync(root, args, io, cancellationToken);
    }
}
