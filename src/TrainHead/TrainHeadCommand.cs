using System.CommandLine;
using System.Globalization;
using FacePipeline.Head;

namespace FacePipeline.Cli.TrainHead;

/// <summary>The <c>TrainHead</c> program: fits a head (the 1024–256–N softmax mlp, prototypes, or the better of both) on a feature cache.</summary>
public static class TrainHeadCommand
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => CommandRunner.MainAsync(RunAsync, args);

    /// <summary>Runs the program with the given output streams (tests call this in-process).</summary>
    public static Task<int> RunAsync(string[] args, CommandIo io, CancellationToken cancellationToken = default)
    {
        var o = new MainOptions(new TrainingOptions());
        var root = new RootCommand("TrainHead: fit a head on cached features: the seed's Dense(1024) → Dense(256) → Dense(N, softmax) mlp, per-person prototypes (cosine), or by default the one that validates better.")
        {
            o.Features, o.Output, o.Head, o.AutoBudget, o.Unknowns, o.TargetFar, o.Epochs, o.BatchSize, o.LearningRate, o.ValidationSplit, o.Seed, o.ClassWeights, o.Dropout, o.Patience, o.NoStandardize, o.Device, o.Streaming, o.MemoryBudget, o.Overwrite,
        };
        root.SetAction((parse, token) => TrainAsync(parse, o, io, token));
        return CommandRunner.RunAsync(root, args, io, cancellationToken);
    }

    /// <summary>The action: validates the training options, then trains and writes the head.</summary>
    private static async Task<int> TrainAsync(ParseResult parse, MainOptions o, CommandIo io, CancellationToken token)
    {
        var options = new TrainingOptions
        {
            Epochs = parse.GetValue(o.Epochs),
            BatchSize = parse.GetValue(o.BatchSize),
            LearningRate = parse.GetValue(o.LearningRate),
            ValidationSplit = parse.GetValue(o.ValidationSplit),
            Seed = parse.GetValue(o.Seed),
            ClassWeights = parse.GetValue(o.ClassWeights),
            Dropout = parse.GetValue(o.Dropout),
            Patience = parse.GetValue(o.Patience),
            Standardize = !parse.GetValue(o.NoStandardize),
            Device = parse.GetValue(o.Device)!,
            Streaming = parse.GetValue(o.Streaming),
            MemoryBudgetBytes = parse.GetValue(o.MemoryBudget),
            Head = parse.GetValue(o.Head),
            AutoBudgetSeconds = parse.GetValue(o.AutoBudget),
            TargetFar = parse.GetValue(o.TargetFar),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new UsageException(error.Message, error);
        }

        string cache = CommandRunner.RequireFolder(parse.GetValue(o.Features)!, "feature cache");
        string? unknowns = parse.GetValue(o.Unknowns) is string folder ? CommandRunner.RequireFolder(folder, "strangers' feature cache (--unknowns)") : null;
        if (unknowns is null && parse.GetResult(o.TargetFar) is { Implicit: false })
        {
            throw new UsageException("--target-far needs --unknowns CACHE_DIR (the faces to calibrate the threshold on)");
        }

        await HeadTrainingJob.RunAsync(cache, parse.GetValue(o.Output)!, options, parse.GetValue(o.Overwrite), io.WriteNote, unknowns, token);
        return ExitCodes.Success;
    }

    /// <summary>The program's options, declared in help order; defaults come from <see cref="TrainingOptions"/>.</summary>
    private sealed class MainOptions
    {
        public MainOptions(TrainingOptions defaults)
        {
            Features = new("--features") { Description = "Feature cache folder written by Extract", HelpName = "CACHE_DIR", Required = true };
            Output = new("--out") { Description = "Head folder to write (must not exist unless --overwrite)", HelpName = "HEAD_DIR", Required = true };
            Head = new("--head")
            {
                Description = "mlp: the seed's softmax head; prototype: each person's normalised mean embedding, cosine score (no epochs, one photo enrols a person); auto: fit both on the training rows and keep the one with the higher validation macro recall, then accuracy (a tie keeps mlp) [default: auto]",
                HelpName = "auto|mlp|prototype",
                CustomParser = CommonOptions.Choice<HeadKind>,
            };
            AutoBudget = new("--auto-budget")
            {
                Description = "With --head auto, seconds the mlp may train: another epoch starts only while it fits, and an mlp whose first epoch does not end within it is left out; --head mlp is never cut",
                DefaultValueFactory = _ => defaults.AutoBudgetSeconds,
                HelpName = "SECONDS",
                CustomParser = CommonOptions.Number,
            };
            Unknowns = new("--unknowns") { Description = "Feature cache of faces of people who must NOT be recognised (same --model and --faces); the unknown threshold is calibrated on them [default: none: known faces only, not calibrated against strangers]", HelpName = "CACHE_DIR" };
            TargetFar = new("--target-far")
            {
                Description = "With --unknowns, the largest share of those faces that may get a name",
                DefaultValueFactory = _ => defaults.TargetFar,
                HelpName = "F",
                CustomParser = CommonOptions.Number,
            };
            Epochs = new("--epochs") { Description = $"Passes over the training rows", DefaultValueFactory = _ => defaults.Epochs, Validators = { CommonOptions.Positive }, CustomParser = CommonOptions.WholeNumber };
            BatchSize = new("--batch-size") { Description = $"Rows per optimisation step", DefaultValueFactory = _ => defaults.BatchSize, Validators = { CommonOptions.Positive }, CustomParser = CommonOptions.WholeNumber };
            LearningRate = new("--lr") { Description = $"Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate, CustomParser = CommonOptions.Number };
            ValidationSplit = new("--val-split") { Description = $"Stratified validation fraction when no row has split=val", DefaultValueFactory = _ => defaults.ValidationSplit, CustomParser = CommonOptions.Number };
            Seed = new("--seed") { Description = $"Seed for initialisation, split and shuffling", DefaultValueFactory = _ => defaults.Seed, CustomParser = CommonOptions.WholeNumber };
            ClassWeights = new("--class-weights") { Description = "Loss weights per class: none, or balanced (inverse class frequency) [default: none]", HelpName = "none|balanced", CustomParser = CommonOptions.Choice<ClassWeighting> };
            Dropout = new("--dropout") { Description = "Dropout rate after each hidden layer", DefaultValueFactory = _ => defaults.Dropout, CustomParser = CommonOptions.Number };
            Patience = new("--patience") { Description = "Stop after N epochs without better validation and keep the best weights; 0 = never", DefaultValueFactory = _ => defaults.Patience, CustomParser = CommonOptions.WholeNumber };
            NoStandardize = new("--no-standardize") { Description = "Feed raw features instead of standardising them with the training rows' mean/std [default: off]" };
            Device = new("--device") { Description = "Where TorchSharp trains: cpu or cuda[:N] (needs the TorchSharp-cuda-linux package)", DefaultValueFactory = _ => "cpu", HelpName = "cpu|cuda" };
            Streaming = new("--streaming")
            {
                Description = "auto: hold the training rows in memory when their real peak fits what --memory-budget leaves beside the fixed part, else stream them from the cache's row groups; always: stream; never: in memory, refused above the budget",
                DefaultValueFactory = _ => defaults.Streaming,
                HelpName = "auto|always|never",
                CustomParser = CommonOptions.Choice<StreamingMode>,
            };
            MemoryBudget = new("--memory-budget")
            {
                Description = string.Create(CultureInfo.InvariantCulture,
                    $"Memory the whole process may take (peak RSS: runtime, libtorch, the head's state, then the rows; refused at the start when too small), e.g. 2GB, 512MiB (KB/MB/GB powers of 1000, KiB/MiB/GiB of 1024) [default: {TrainingMemory.DefaultFraction:P0} of MemAvailable]"),
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
            Overwrite = new("--overwrite") { Description = "Replace an existing head folder once the new one is complete [default: off]" };
        }

        public Option<string> Features { get; }

        public Option<string> Output { get; }

        public Option<HeadKind> Head { get; }

        public Option<double> AutoBudget { get; }

        public Option<string?> Unknowns { get; }

        public Option<double> TargetFar { get; }

        public Option<int> Epochs { get; }

        public Option<int> BatchSize { get; }

        public Option<double> LearningRate { get; }

        public Option<double> ValidationSplit { get; }

        public Option<int> Seed { get; }

        public Option<ClassWeighting> ClassWeights { get; }

        public Option<double> Dropout { get; }

        public Option<int> Patience { get; }

        public Option<bool> NoStandardize { get; }

        public Option<string> Device { get; }

        public Option<StreamingMode> Streaming { get; }

        public Option<long?> MemoryBudget { get; }

        public Option<bool> Overwrite { get; }
    }
}
