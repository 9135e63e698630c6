using System.Text.Json.Serialization;
using FacePipeline.Features;

namespace FacePipeline.Head;

/// <summary>
/// <c>head.json</c>: everything needed to use and to judge a head — architecture, effective training options,
/// counts, final metrics, the backbone identity of the features it was trained on, and the tool version.
/// </summary>
public sealed record HeadDescription
{
    /// <summary>Version of the head folder format (2: <see cref="Files"/> records every file's SHA-256).</summary>
    public const string CurrentFormatVersion = "2";

    /// <summary>Head folder format version.</summary>
    public string FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>FacePipeline version that trained it.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>When training finished (UTC, ISO 8601).</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The network.</summary>
    public required HeadArchitecture Architecture { get; init; }

    /// <summary>Effective training options.</summary>
    public required TrainingOptions Training { get; init; }

    /// <summary>Row counts.</summary>
    public required HeadCounts Counts { get; init; }

    /// <summary>Final metrics.</summary>
    public required HeadMetrics Metrics { get; init; }

    /// <summary>The backbone and face stage whose features the head expects (recorded as <c>backbone</c>, its name before the face stage existed).</summary>
    [JsonPropertyName("backbone")]
    public required FeatureIdentity Features { get; init; }

    /// <summary>The cache it was trained on.</summary>
    public required string CacheFolder { get; init; }

    /// <summary>
    /// The head's unknown threshold on its own score (top-1 probability for the mlp, cosine for prototypes), which
    /// Predict applies unless told otherwise; null without validation rows or strangers.
    /// </summary>
    public double? SuggestedUnknownThreshold { get; init; }

    /// <summary>How <see cref="SuggestedUnknownThreshold"/> was chosen.</summary>
    public string UnknownThresholdMethod { get; init; } =
        "5th percentile of the top-1 probability over correctly recognised validation images (about 95 % of them are kept)";

    /// <summary>The calibration on strangers (<c>--unknowns</c>), or null: then the threshold was NOT calibrated against strangers.</summary>
    public StrangerCalibration? Strangers { get; init; }

    /// <summary>How the head's kind was chosen and both kinds' validation figures (null in heads from before head kinds).</summary>
    public HeadSelection? Selection { get; init; }

    /// <summary>Weights file name inside the head folder.</summary>
    public string WeightsFile { get; init; } = HeadFolder.WeightsFileName;

    /// <summary>Label map file name inside the head folder.</summary>
    public string LabelsFile { get; init; } = HeadFolder.LabelsFileName;

    /// <summary>
    /// SHA-256 (lower-case hex) of every other file of the head folder, by file name; verified on load, so a file
    /// damaged or edited in place is refused instead of predicting nonsense.
    /// </summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
}

/// <summary>The network of a head.</summary>
/// <param name="Kind">Architecture name.</param>
/// <param name="InputSize">Features per image.</param>
/// <param name="Hidden">Hidden layer widths.</param>
/// <param name="Classes">Number of people.</param>
/// <param name="Activation">Hidden activation.</param>
/// <param name="Output">Output activation.</param>
/// <param name="Dropout">Dropout rate used in training.</param>
/// <param name="Standardize">Whether inputs are standardised with the training rows' statistics (stored in the weights).</param>
public sealed record HeadArchitecture(string Kind, int InputSize, IReadOnlyList<int> Hidden, int Classes, string Activation, string Output, double Dropout, bool Standardize);

/// <summary>Row counts of a training run.</summary>
/// <param name="Train">Training rows.</param>
/// <param name="Validation">Validation rows.</param>
/// <param name="TestSkipped">Rows with split test, left out.</param>
/// <param name="ClassesWithoutValidation">Classes too small to give a validation row.</param>
public sealed record HeadCounts(int Train, int Validation, int TestSkipped, int ClassesWithoutValidation);

/// <summary>Final metrics of a training run.</summary>
/// <param name="EpochsRun">Epochs actually run.</param>
/// <param name="BestEpoch">Epoch whose weights were kept.</param>
/// <param name="TrainLoss">Training loss of the last epoch (null for prototypes).</param>
/// <param name="TrainAccuracy">Training accuracy of the last epoch (null for prototypes).</param>
/// <param name="ValLoss">Validation loss of the kept weights.</param>
/// <param name="ValAccuracy">Validation accuracy of the kept weights (prototypes: of those fitted on the training rows).</param>
/// <param name="TrainingSeconds">Seconds spent in the epochs (0 for prototypes).</param>
public sealed record HeadMetrics(int EpochsRun, int BestEpoch, double? TrainLoss, double? TrainAccuracy, double? ValLoss, double? ValAccuracy, double TrainingSeconds);
