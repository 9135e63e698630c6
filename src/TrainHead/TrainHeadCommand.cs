using System.CommandLine;
using System.Globalization;
using FacePipeline.Head;

namespace FacePipeline.Cli.TrainHead;

/// <summary>The <c>TrainHead</c> program: trains the 1024–256–N softmax head on a feature cache.</summary>
public static class TrainHeadCommand
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, CommandIo.Console);

    /// <summary>Runs the program with the given output streams (tests call this in-process).</summary>
    public static Task<int> RunAsync(string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        var defaults = new TrainingOptions();
        var features = new Option<string>("--features") { Description = "Feature cache folder written by Extract", HelpName = "CACHE_DIR", Required = true };
        var output = new Option<string>("--out") { Description = "Head folder to write (must not exist unless --overwrite)", HelpName = "HEAD_DIR", Required = true };
        var epochs = new Option<int>("--epochs") { Description = $"Passes over the training rows", DefaultValueFactory = _ => defaults.Epochs, Validators = { CommonOptions.Positive } };
        var batchSize = new Option<int>("--batch-size") { Description = $"Rows per optimisation step", DefaultValueFactory = _ => defaults.BatchSize, Validators = { CommonOptions.Positive } };
        var learningRate = new Option<double>("--lr") { Description = $"Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var validationSplit = new Option<double>("--val-split") { Description = $"Stratified validation fraction when no row has split=val", DefaultValueFactory = _ => defaults.ValidationSplit };
        var seed = new Option<int>("--seed") { Description = $"Seed for initialisation, split and shuffling", DefaultValueFactory = _ => defaults.Seed };
        var classWeights = new Option<ClassWeighting>("--class-weights") { Description = "Loss weights per class: none, or balanced (inverse class frequency) [default: none]", HelpName = "none|balanced" };
        var dropout = new Option<double>("--dropout") { Description = "Dropout rate after each hidden layer", DefaultValueFactory = _ => defaults.Dropout };
        var patience = new Option<int>("--patience") { Description = "Stop after N epochs without better validation and keep the best weights; 0 = never", DefaultValueFactory = _ => defaults.Patience };
        var noStandardize = new Option<bool>("--no-standardize") { Description = "Feed raw features instead of standardising them with the training rows' mean/std [default: off]" };
        var device = new Option<string>("--device") { Description = "Where TorchSharp trains: cpu or cuda[:N] (needs the TorchSharp-cuda-linux package)", DefaultValueFactory = _ => "cpu", HelpName = "cpu|cuda" };
        var streaming = new Option<StreamingMode>("--streaming")
        {
            Description = "auto: hold the training rows in memory when their real peak fits --memory-budget, else stream them from the cache's row groups; always: stream; never: in memory, refused above the budget",
            DefaultValueFactory = _ => defaults.Streaming,
            HelpName = "auto|always|never",
        };
        var memoryBudget = new Option<long?>("--memory-budget")
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"Memory the training rows may take, e.g. 2GB, 512MiB (KB/MB/GB powers of 1000, KiB/MiB/GiB of 1024); the head's own weights and Adam state come on top [default: {TrainingMemory.DefaultFraction:P0} of MemAvailable]"),
            HelpName = "SIZE",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (TrainingMemory.TryParseSize(text, out long bytes))
                {
                    return bytes;
                }

                result.AddError($"--memory-budget '{text}' is not a size; write a positive number with an optional unit, e.g. 2GB or 512MiB");
                return null;
            },
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing head folder once the new one is complete [default: off]" };

        var root = new RootCommand("TrainHead: train the seed's Dense(1024) → Dense(256) → Dense(N, softmax) head on cached features.")
        {
            features, output, epochs, batchSize, learningRate, validationSplit, seed, classWeights, dropout, patience, noStandardize, device, streaming, memoryBudget, overwrite,
        };
        root.SetAction(async (parse, token) =>
        {
            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                ValidationSplit = parse.GetValue(validationSplit),
                Seed = parse.GetValue(seed),
                ClassWeights = parse.GetValue(classWeights),
                Dropout = parse.GetValue(dropout),
                Patience = parse.GetValue(patience),
                Standardize = !parse.GetValue(noStandardize),
                Device = parse.GetValue(device)!,
                Streaming = parse.GetValue(streaming),
                MemoryBudgetBytes = parse.GetValue(memoryBudget),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException error)
            {
                throw new UsageException(error.Message, error);
            }

            string cache = CommandRunner.RequireFolder(parse.GetValue(features)!, "feature cache");
            await HeadTrainingJob.RunAsync(cache, parse.GetValue(output)!, options, parse.GetValue(overwrite), io.WriteNote, token);
            return ExitCodes.Success;
        });
        return CommandRunner.RunAsync(root, args, io, cancellationToken);
    }
}
