namespace FacePipeline.Head;

/// <summary>
/// The one place that turns a training run into its <c>head.json</c>: TrainHead, the benchmark and the tests all
/// describe a head through <see cref="Build"/>, so the file they write is the same.
/// </summary>
public static class HeadDescriptionBuilder
{
    /// <summary>The architecture name of the seed's Dense(1024) → Dense(256) → Dense(N, softmax) head.</summary>
    public const string DenseKind = "dense-1024-256-softmax";

    /// <summary>Hidden activation of <see cref="HeadModel"/>.</summary>
    public const string HiddenActivation = "relu";

    /// <summary>Output activation of <see cref="HeadModel"/>.</summary>
    public const string OutputActivation = "softmax";

    /// <summary>Describes <paramref name="head"/>, trained on <paramref name="data"/> from <paramref name="cacheFolder"/> with <paramref name="options"/>.</summary>
    public static HeadDescription Build(TrainedHead head, TrainingSet data, TrainingOptions options, string cacheFolder)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        EpochRecord last = head.History[^1];
        return new HeadDescription
        {
            ToolVersion = ToolInfo.Version,
            CreatedUtc = DateTimeOffset.UtcNow,
            Architecture = new HeadArchitecture(
                DenseKind, data.FeatureLength, HeadModel.HiddenSizes, data.Labels.Count, HiddenActivation, OutputActivation, options.Dropout, options.Standardize),
            Training = options,
            Counts = new HeadCounts(head.TrainCount, head.ValidationCount, head.TestRowsSkipped, head.ClassesWithoutValidation),
            Metrics = new HeadMetrics(
                head.History.Count, head.BestEpoch, last.Loss, last.Accuracy, head.ValidationLoss, head.ValidationAccuracy, head.History.Sum(e => e.Seconds)),
            Backbone = data.Identity,
            CacheFolder = Path.GetFullPath(cacheFolder),
            SuggestedUnknownThreshold = head.SuggestedUnknownThreshold,
        };
    }
}
