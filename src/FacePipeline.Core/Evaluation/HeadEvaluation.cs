using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Faces;
using FacePipeline.Head;
using FacePipeline.Prediction;
using FacePipeline.Reporting;
using FacePipeline.Storage;

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
    private readonly Dictionary<int, FaceCrop> wrongCrops = [];
    private readonly List<(string Path, string What)> inputs = [];

    private HeadEvaluation(HeadClassifier head, string source, string? split, int topK)
    {
        Head = head;
        Source = source;
        Split = split;
        TopK = topK;
        inputs.Add((head.Folder, "head folder"));
        inputs.Add((source, "labelled set"));
    }

    /// <summary>What an evaluation report folder is to <see cref="OutputFolderGuard"/>: a folder whose metrics.json has per-label counts.</summary>
    public static OutputFolderKind ReportKind { get; } = new("report folder", "metrics.json", "per_label_counts");

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
    /// <exception cref="FacePipelineException">The cache comes from another backbone than the head's.</exception>
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
    /// <param name="faces">The head's face stage, open; null for whole images.</param>
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
        FaceStageSession? faces = null,
        Action<string, string>? onSkipped = null,
        CancellationToken cancellationToken = default)
    {
        var evaluation = new HeadEvaluation(head, Path.GetFullPath(source), split, topK);
        IReadOnlyList<LabelledImage> wanted = images.Where(i => DatasetSplit.Matches(i.Split, split)).ToList();
        evaluation.inputs.AddRange(wanted.Select(i => Path.GetDirectoryName(i.FullPath)!).Distinct(StringComparer.Ordinal).Select(d => (d, "image folder")));
        // The face Extract would keep; an image without a face counts as a wrong answer (its label is "no face").
        await foreach ((LabelledImage image, FacePrediction? prediction, string? failure, FeaturizedImage result) in HeadPredictor.PredictImagesAsync(
            head, session, wanted, batchSize, topK, null, faces, everyFace: false, cancellationToken))
        {
            if (prediction is null)
            {
                onSkipped?.Invoke(image.Path, failure!);
                continue;
            }

            if (prediction.Label != image.Label && result.Crop is not null && evaluation.wrongCrops.Count < MisclassifiedSheetTiles)
            {
                evaluation.wrongCrops[evaluation.Count] = result.Crop;
            }

            evaluation.Add(image.Label!, prediction);
        }

        return evaluation;
    }

    /// <summary>Misclassified faces shown on <c>misclassified.png</c> (the first ones, in input order).</summary>
    public const int MisclassifiedSheetTiles = 64;

    /// <summary>
    /// <c>misclassified.png</c>: each wrongly predicted face as the backbone saw it (or the thumbnail of an image without
    /// a face) with true → predicted label and confidence; null when scored from a cache (no pixels) or nothing was wrong.
    /// </summary>
    public byte[]? RenderMisclassifiedSheet()
    {
        if (wrongCrops.Count == 0)
        {
            return null;
        }

        var tiles = wrongCrops.OrderBy(c => c.Key).Select(c => new ContactSheetTile(
            c.Value.Rgb,
            c.Value.WidthPx,
            c.Value.HeightPx,
            $"{truth[c.Key]} → {scored[c.Key].Label}",
            scored[c.Key].NoFace ? Path.GetFileName(scored[c.Key].Path) : string.Create(CultureInfo.InvariantCulture, $"{scored[c.Key].Confidence:0.00} {Path.GetFileName(scored[c.Key].Path)}"))).ToList();
        return ContactSheet.RenderPng($"Misclassified: first {tiles.Count} (true → predicted, confidence)", tiles);
    }

    /// <summary>
    /// The closed-set metrics: over the faces whose label the head knows (strangers are left to <see cref="OpenSet"/>
    /// and listed in <see cref="ClassificationReport.UnseenLabels"/>); over every face, all wrong, when none is known.
    /// </summary>
    public ClassificationReport Score()
    {
        var known = new HashSet<string>(Head.Labels, StringComparer.Ordinal);
        int[] rows = [.. Enumerable.Range(0, Count).Where(i => known.Contains(truth[i]))];
        if (rows.Length == 0 || rows.Length == Count)
        {
            return ClassificationMetrics.Compute(truth, ranked, Head.Labels.ToList(), TopK);
        }

        ClassificationReport report = ClassificationMetrics.Compute([.. rows.Select(i => truth[i])], [.. rows.Select(i => ranked[i])], Head.Labels.ToList(), TopK);
        string[] strangers = [.. truth.Where(t => !known.Contains(t)).Distinct(StringComparer.Ordinal).Order(NaturalStringComparer.Instance)];
        return report with { UnseenLabels = strangers };
    }

    /// <summary>Open-set figures at <paramref name="threshold"/> (null: every face gets a name).</summary>
    public OpenSetReport OpenSet(double? threshold)
    {
        var known = new HashSet<string>(Head.Labels, StringComparer.Ordinal);
        return OpenSetMetrics.Compute(
            [.. scored.Select((p, i) => new OpenSetSample(known.Contains(truth[i]), !p.NoFace && p.Top[0].Label == truth[i], p.Confidence, p.NoFace))], threshold);
    }

    /// <summary>The wrongly predicted samples (top-1, no threshold), in input order.</summary>
    public IReadOnlyList<Misclassification> Misclassified() =>
        scored.Select((p, i) => (p, i)).Where(x => x.p.Label != truth[x.i])
            .Select(x => new Misclassification(x.p.Path, truth[x.i], x.p.Label, x.p.Confidence)).ToList();

    /// <summary>The context entries of <c>metrics.json</c>: time, tool, source, split, head, backbone and the bars.</summary>
    public IReadOnlyDictionary<string, object?> Context(EvaluationBars bars)
    {
        ArgumentNullException.ThrowIfNull(bars);
        return new Dictionary<string, object?>
        {
            ["timestamp_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["tool_version"] = ToolInfo.Version,
            ["source"] = Source,
            ["split"] = Split,
            ["head"] = new Dictionary<string, object?>
            {
                ["folder"] = Path.GetFullPath(Head.Folder),
                ["created_utc"] = Head.Description.CreatedUtc,
                ["kind"] = Head.Kind.ToString().ToLowerInvariant(),
                ["score"] = Head.ScoreName,
                ["classes"] = Head.Labels.Count,
                ["val_accuracy"] = Head.Description.Metrics.ValAccuracy,
                ["threshold_calibrated_on_strangers"] = Head.Description.Strangers is not null,
            },
            ["backbone"] = Head.Description.Features,
            ["min_accuracy"] = bars.MinAccuracy,
            ["max_far"] = bars.MaxFar,
        };
    }

    /// <summary>
    /// Fails early, before scoring, when <paramref name="reportFolder"/> may not be replaced by a report: it is not one of
    /// ours, or it is (or holds) the working directory, the head or the labelled set (<see cref="OutputFolderGuard"/>).
    /// </summary>
    /// <exception cref="FacePipelineException">It may not be replaced.</exception>
    public static void EnsureReportFolder(string reportFolder, string headFolder, string source) =>
        OutputFolderGuard.EnsureReplaceable(reportFolder, ReportKind, "--out", [(headFolder, "head folder"), (source, "labelled set")]);

    /// <summary>Scores the samples at <paramref name="threshold"/> and writes the report folder (see <see cref="EvaluationReportWriter"/>) once <see cref="OutputFolderGuard"/> allows it.</summary>
    /// <exception cref="FacePipelineException">The folder may not be replaced.</exception>
    public EvaluationOutcome WriteReport(string reportFolder, EvaluationBars bars, double? threshold)
    {
        OutputFolderGuard.EnsureReplaceable(reportFolder, ReportKind, "--out", inputs);
        ClassificationReport report = Score();
        OpenSetReport openSet = OpenSet(threshold);
        IReadOnlyList<string> plotErrors = EvaluationReportWriter.Write(reportFolder, report, openSet, Misclassified(), Context(bars), RenderMisclassifiedSheet());
        return new EvaluationOutcome(report, openSet, plotErrors);
    }

    private void Add(string label, FacePrediction prediction)
    {
        truth.Add(label);
        ranked.Add(prediction.NoFace ? [PredictionRanker.NoFaceLabel] : prediction.Top.Select(t => t.Label).ToList());
        scored.Add(prediction);
    }
}
