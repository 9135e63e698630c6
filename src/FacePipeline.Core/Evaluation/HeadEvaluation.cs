using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Head;
using FacePipeline.Prediction;

namespace FacePipeline.Evaluation;

/// <summary>
/// What <c>Predict evaluate</c> gathers: for each scored sample its true label, ranked labels and prediction. Gathered
/// from a feature cache or from images, then scored, reported and written as one report folder.
/// </summary>
public sealed class HeadEvaluation
{
    private readonly List<string> truth = [];
    private readonly List<IReadOnlyList<string>> ranked = [];
    private readonly List<FacePrediction> scored = [];

    private HeadEvaluation(HeadClassifier head, string source, string? split, int topK)
    {
        Head = head;
        Source = source;
        Split = split;
        TopK = topK;
    }

    /// <summary>The head evaluated.</summary>
    public HeadClassifier Head { get; }

    /// <summary>Full path of the cache folder, image folder or manifest scored.</summary>
    public string Source { get; }

    /// <summary>The split scored, or null for all rows.</summary>
    public string? Split { get; }

    /// <summary>k of the top-k accuracy.</summary>
    public int TopK { get; }

    /// <summary>Samples scored.</summary>
    public int Count => truth.Count;

    /// <summary>Scores the rows of <paramref name="cacheFolder"/> (only <paramref name="split"/> when given).</summary>
    /// <exception cref="HeadException">The cache comes from another backbone than the head's.</exception>
    public static async Task<HeadEvaluation> FromCacheAsync(HeadClassifier head, string cacheFolder, string? split, int topK, CancellationToken cancellationToken = default)
    {
        var evaluation = new HeadEvaluation(head, Path.GetFullPath(cacheFolder), split, topK);
        await foreach ((var row, FacePrediction prediction) in HeadPredictor.PredictCacheAsync(head, cacheFolder, split, topK, cancellationToken))
        {
            evaluation.Add(row.Label, prediction);
        }

        return evaluation;
    }

    /// <summary>Scores labelled <paramref name="images"/> (only <paramref name="split"/> when given) through <paramref name="session"/>.</summary>
    /// <param name="head">The head.</param>
    /// <param name="session">The head's backbone.</param>
    /// <param name="images">Labelled images.</param>
    /// <param name="source">The folder or manifest they came from.</param>
    /// <param name="split">Only images of this split, or null for all.</param>
    /// <param name="batchSize">Images per backbone run.</param>
    /// <param name="topK">k of the top-k accuracy.</param>
    /// <param name="onSkipped">Told of each image that could not be read (it is left out of the scores).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static async Task<HeadEvaluation> FromImagesAsync(
        HeadClassifier head,
        BackboneSession session,
        IReadOnlyList<LabelledImage> images,
        string source,
        string? split,
        int batchSize,
        int topK,
        Action<string, string>? onSkipped = null,
        CancellationToken cancellationToken = default)
    {
        var evaluation = new HeadEvaluation(head, Path.GetFullPath(source), split, topK);
        IReadOnlyList<LabelledImage> wanted = images.Where(i => DatasetSplit.Matches(i.Split, split)).ToList();
        await foreach ((LabelledImage image, FacePrediction? prediction, string? failure) in HeadPredictor.PredictImagesAsync(
            head, session, wanted, batchSize, topK, null, cancellationToken))
        {
            if (prediction is null)
            {
                onSkipped?.Invoke(image.Path, failure!);
                continue;
            }

            evaluation.Add(image.Label!, prediction);
        }

        return evaluation;
    }

    /// <summary>The metrics over the samples gathered.</summary>
    public ClassificationReport Score() => ClassificationMetrics.Compute(truth, ranked, Head.Labels.ToList(), TopK);

    /// <summary>The wrongly predicted samples, in input order.</summary>
    public IReadOnlyList<Misclassification> Misclassified() =>
        scored.Select((p, i) => (p, i)).Where(x => x.p.Label != truth[x.i])
            .Select(x => new Misclassification(x.p.Path, truth[x.i], x.p.Label, x.p.Confidence)).ToList();

    /// <summary>The context entries of <c>metrics.json</c>: time, tool, source, split, head, backbone and the bar.</summary>
    public IReadOnlyDictionary<string, object?> Context(double? minAccuracy) => new Dictionary<string, object?>
    {
        ["timestamp_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["tool_version"] = ToolInfo.Version,
        ["source"] = Source,
        ["split"] = Split,
        ["head"] = new Dictionary<string, object?>
        {
            ["folder"] = Path.GetFullPath(Head.Folder),
            ["created_utc"] = Head.Description.CreatedUtc,
            ["classes"] = Head.Labels.Count,
            ["val_accuracy"] = Head.Description.Metrics.ValAccuracy,
        },
        ["backbone"] = Head.Description.Backbone,
        ["min_accuracy"] = minAccuracy,
    };

    /// <summary>Scores the samples and writes the report folder (see <see cref="EvaluationReportWriter"/>).</summary>
    public ClassificationReport WriteReport(string reportFolder, double? minAccuracy)
    {
        ClassificationReport report = Score();
        EvaluationReportWriter.Write(reportFolder, report, Misclassified(), Context(minAccuracy));
        return report;
    }

    private void Add(string label, FacePrediction prediction)
    {
        truth.Add(label);
        ranked.Add(prediction.Top.Select(t => t.Label).ToList());
        scored.Add(prediction);
    }
}
