using System.CommandLine;
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
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing head folder once the new one is complete [default: off]" };

        var root = new RootCommand("TrainHead: train the seed's Dense(1024) → Dense(256) → Dense(N, softmax) head on cached features.")
        {
            features, output, epochs, batchSize, learningRate, validationSplit, seed, classWeights, dropout, patience, noStandardize, device, overwrite,
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
