
namespace FacePipeline.Head;

/// <summary>
/// The one place that turns a training run into its <c>head.json</c>: TrainHead, the benchmark and the tests all
/// describe a head through <see cref="Build"/>, so the file they write is the same.
/// </summary>
public static class HeadDescriptionBuilder
{
    /// <summary>The architecture name of the seed's Dense(1024) → Dense(256) → Dense(N, softmax) head.</summary>
    public const string DenseKind = "dense-1024-256-softmax";

    /// <summary>The architecture name of the prototype head (normalised class means, cosine score).</summary>
    public const string PrototypeKind = "prototype-cosine";

    /// <summary>Hidden activation of <see cref="HeadModel"/>.</summary>
    public const string HiddenActivation = "relu";

    /// <summary>Output activation of <see cref="HeadModel"/>.</summary>
    public const string OutputActivation = "softmax";

    /// <summary>Output of the prototype head.</summary>
    public const string CosineOutput = "cosine";

    /// <summary>Describes <paramref name="head"/>, trained on <paramref name="data"/> from <paramref name="cacheFolder"/> with <paramref name="options"/>.</summary>
    public static HeadDescription Build(TrainedHead head, TrainingSet data, TrainingOptions options, string cacheFolder)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        bool prototype = head.Kind == HeadKind.Prototype;
        EpochRecord? last = head.History.Count > 0 ? head.History[^1] : null;
        return new HeadDescription
        {
            ToolVersion = ToolInfo.Version,
            CreatedUtc = DateTimeOffset.UtcNow,
            Architecture = prototype
                ? new HeadArchitecture(PrototypeKind, data.FeatureLength, [], data.Labels.Count, "none", CosineOutput, 0, false)
                : new HeadArchitecture(DenseKind, data.FeatureLength, HeadModel.HiddenSizes, data.Labels.Count, HiddenActivation, OutputActivation, options.Dropout, options.Standardize),
            Training = options,
            Counts = new HeadCounts(head.TrainCount, head.ValidationCount, head.TestRowsSkipped, head.ClassesWithoutValidation),
            Metrics = new HeadMetrics(
                head.History.Count, head.BestEpoch, last?.Loss, last?.Accuracy, head.ValidationLoss, head.ValidationAccuracy, head.History.Sum(e => e.Seconds)),
            Features = data.Identity,
            CacheFolder = Path.GetFullPath(cacheFolder),
            SuggestedUnknownThreshold = head.SuggestedUnknownThreshold,
            UnknownThresholdMethod = ThresholdMethod(head, prototype),
            Strangers = head.Strangers,
            Selection = head.Selection,
            WeightsFile = prototype ? HeadFolder.PrototypesFileName : HeadFolder.WeightsFileName,
        };
    }

    private static string ThresholdMethod(TrainedHead head, bool prototype)
    {
        string score = prototype ? "cosine to the best prototype" : "top-1 probability";
        return head.Strangers is StrangerCalibration s
            ? FormattableString.Invariant(
                $"calibrated on {s.Count} faces of strangers ({s.Cache}): the lowest {score} at which at most {s.TargetFar} of them get a name (reached {s.FarReached}){(s.TooFew ? $"; TOO FEW strangers for this target (fewer than {UnknownThreshold.FacesPerTargetRate} / {s.TargetFar}), the rate on new strangers may differ" : string.Empty)}")
            : $"{score}: {UnknownThreshold.KnownOnlyMethod}; below it Predict labels a face '{Dataset.LabelRules.Unknown}'";
    }
}
