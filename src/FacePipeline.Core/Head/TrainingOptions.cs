using FacePipeline.Backbones;

namespace FacePipeline.Head;

/// <summary>How a head is trained; the defaults are the seed's (batch 32, 20 epochs, Adam 0.001, 15 % validation, seed 42).</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training rows.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Rows per optimisation step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Stratified validation fraction when no row is marked <c>val</c>.</summary>
    public double ValidationSplit { get; init; } = 0.15;

    /// <summary>Seed for weight initialisation, the split and the shuffles.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Loss weighting per class.</summary>
    public ClassWeighting ClassWeights { get; init; } = ClassWeighting.None;

    /// <summary>Dropout rate after each hidden layer (0 = none).</summary>
    public double Dropout { get; init; }

    /// <summary>Stop after this many epochs without a better validation result and keep the best weights (0 = never stop early).</summary>
    public int Patience { get; init; }

    /// <summary>Standardise inputs with the training rows' per-feature mean and standard deviation.</summary>
    public bool Standardize { get; init; } = true;

    /// <summary>Where TorchSharp trains: <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>When the training rows are streamed from the cache instead of held in memory.</summary>
    public StreamingMode Streaming { get; init; } = StreamingMode.Auto;

    /// <summary>Memory budget of the training rows in bytes (see <see cref="TrainingMemory"/>); null for <see cref="TrainingMemory.DefaultFraction"/> of the available memory.</summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>Which head to fit (<c>--head</c>).</summary>
    public HeadKind Head { get; init; } = HeadKind.Auto;

    /// <summary>
    /// Under <see cref="HeadKind.Auto"/>, the seconds the mlp may train: another epoch starts only while the epochs so
    /// far plus one more fit, and an mlp whose first epoch does not end within it is left out, so auto on 20 000
    /// people (about 70 s per mlp epoch on 2 cores) answers in minutes, not the 23 of 20 epochs. <c>--head mlp</c> is
    /// never cut.
    /// </summary>
    public double AutoBudgetSeconds { get; init; } = 120;

    /// <summary>With strangers (<c>--unknowns</c>), the largest share of them that may get a name.</summary>
    public double TargetFar { get; init; } = 0.01;

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (Epochs < 1 || BatchSize < 1)
        {
            throw new ArgumentException("--epochs and --batch-size must be at least 1");
        }

        if (LearningRate <= 0 || double.IsNaN(LearningRate))
        {
            throw new ArgumentException("--lr must be positive");
        }

        if (ValidationSplit is < 0 or >= 1)
        {
            throw new ArgumentException("--val-split must be at least 0 and below 1");
        }

        if (Dropout is < 0 or >= 1)
        {
            throw new ArgumentException("--dropout must be at least 0 and below 1");
        }

        if (Patience < 0)
        {
            throw new ArgumentException("--patience must be 0 or more");
        }

        if (AutoBudgetSeconds <= 0 || double.IsNaN(AutoBudgetSeconds))
        {
            throw new ArgumentException("--auto-budget must be positive");
        }

        if (TargetFar is <= 0 or >= 1 || double.IsNaN(TargetFar))
        {
            throw new ArgumentException("--target-far must be above 0 and below 1");
        }

        if (MemoryBudgetBytes is <= 0)
        {
            throw new ArgumentException("--memory-budget must be positive");
        }

        if (!DeviceSpec.TryParse(Device, out DeviceSpec? device) || device.Kind == DeviceKind.Auto)
        {
            throw new ArgumentException($"--device '{Device}' is not a training device; use cpu, cuda or cuda:N");
        }
    }
}
