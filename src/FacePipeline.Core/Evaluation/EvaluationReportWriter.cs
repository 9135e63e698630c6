using System.Globalization;
using System.Text.Json;
using CsvHelper;
using FacePipeline.Reporting;
using FacePipeline.Storage;
using ScottPlot;
using ScottPlot.Colormaps;
using ScottPlot.Panels;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;

namespace FacePipeline.Evaluation;

/// <summary>
/// Writes an evaluation report folder: <c>metrics.json</c>, <c>per-class.csv</c>, <c>confusion.csv</c>,
/// <c>confusion.png</c>, <c>misclassified.csv</c>, <c>open-set.csv</c> and (with strangers) <c>open-set.png</c>.
/// Sizes are bounded whatever the number of labels: up to <see cref="DenseLabelsLimit"/> labels confusion.csv is the
/// square matrix and confusion.png shows it all; above, confusion.csv lists the non-zero cells
/// (<c>true,predicted,count</c>, at most one line per sample) and confusion.png shows the
/// <see cref="MostConfusedLabels"/> labels with the most errors (as true or predicted label). Plot labels longer than
/// <see cref="MaxPlotLabelChars"/> characters are elided. A plot that cannot be drawn is left out and named in
/// <c>metrics.json</c> (<c>plot_errors</c>); the rest of the report is still written. The folder is filled as a staging sibling and swapped in as a
/// whole (<see cref="AtomicFolder"/>, like the head folder), so a reader sees the old report or the new one, and a
/// failure half-way (a plot that cannot be rendered, a full disk) leaves the old report as it was.
/// </summary>
public static class EvaluationReportWriter
{
    /// <summary>The keys <c>metrics.json</c> always has; the context may not reuse them.</summary>
    private static readonly string[] MetricsKeys =
    [
        "accuracy", "top_k", "top_k_accuracy", "count", "macro_precision", "macro_recall", "macro_f1", "per_label_counts",
        "unseen_labels", "far", "dir", "known_count", "unknown_count", "unknown_threshold", "plot_errors",
    ];

    /// <summary>Most labels for which confusion.csv is a square matrix and confusion.png shows every label.</summary>
    public const int DenseLabelsLimit = 60;

    /// <summary>Labels confusion.png shows above <see cref="DenseLabelsLimit"/>.</summary>
    public const int MostConfusedLabels = 40;

    /// <summary>Characters of a label shown on a plot; longer ones end in an ellipsis.</summary>
    public const int MaxPlotLabelChars = 32;

    private static readonly JsonSerializerOptions ContextJsonOptions = new() { WriteIndented = true };

    // Heat-map geometry in pixels: cells shrink as labels grow (40 labels take about 1 000 px), but never below a size
    // where a two-digit count and a tick label stay readable; a few labels still get a matrix of at least 420 px.
    private const int MaxCellPx = 56;
    private const int MinCellPx = 24;
    private const int TargetMatrixPx = 900;
    private const int MinMatrixPx = 420;
    private const int MaxAnnotatedLabels = 40;

    /// <summary>Writes the report files into <paramref name="reportDir"/>, creating it when missing.</summary>
    /// <param name="reportDir">The folder to write; an existing one is replaced as a whole (other files in it go too).</param>
    /// <param name="report">The closed-set metrics to write.</param>
    /// <param name="openSet">The open-set figures.</param>
    /// <param name="misclassified">The wrongly predicted samples, written in the given order.</param>
    /// <param name="context">
    /// Extra top-level entries for <c>metrics.json</c>, such as head and cache identities and a timestamp; values are
    /// serialized with System.Text.Json as their runtime types.
    /// </param>
    /// <param name="misclassifiedPng"><c>misclassified.png</c> (a contact sheet of the wrong faces), or null for none (a stale one is removed).</param>
    /// <returns>One line per plot that could not be drawn and was left out.</returns>
    /// <exception cref="ArgumentException">A context key repeats one of the metric keys of <c>metrics.json</c>.</exception>
    public static IReadOnlyList<string> Write(
        string reportDir,
        ClassificationReport report,
        OpenSetReport openSet,
        IReadOnlyList<Misclassification> misclassified,
        IReadOnlyDictionary<string, object?> context,
        byte[]? misclassifiedPng = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reportDir);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(openSet);
        ArgumentNullException.ThrowIfNull(misclassified);
        ArgumentNullException.ThrowIfNull(context);
        string? clash = context.Keys.FirstOrDefault(k => MetricsKeys.Contains(k, StringComparer.Ordinal));
        if (clash is not null)
        {
            throw new ArgumentException($"Context key '{clash}' would replace a metric of metrics.json; rename it.", nameof(context));
        }

        var plotErrors = new List<string>();
        byte[]? confusionPng = TryRender(ConfusionFileName, () => RenderConfusionPng(report), plotErrors);
        byte[]? openSetPng = openSet.UnknownCount > 0 && openSet.KnownCount > 0 ? TryRender(OpenSetPngFileName, () => OpenSetPlot.Render(openSet), plotErrors) : null;
        AtomicFolder.Write(reportDir, staging =>
        {
            WriteFile(staging, "metrics.json", stream => WriteMetricsJson(stream, report, openSet, plotErrors, context));
            WriteFile(staging, "per-class.csv", stream => WritePerClassCsv(stream, report));
            WriteFile(staging, "confusion.csv", stream => WriteConfusionCsv(stream, report));
            WriteFile(staging, "misclassified.csv", stream => WriteMisclassifiedCsv(stream, misclassified));
            WriteFile(staging, OpenSetCsvFileName, stream => WriteOpenSetCsv(stream, openSet));
            foreach ((string name, byte[]? png) in new[] { (ConfusionFileName, confusionPng), (OpenSetPngFileName, openSetPng), (MisclassifiedSheetFileName, misclassifiedPng) })
            {
                if (png is not null)
                {
                    WriteFile(staging, name, stream => stream.Write(png));
                }
            }
        });
        return plotErrors;
    }

    /// <summary>File name of the confusion-matrix plot.</summary>
    public const string ConfusionFileName = "confusion.png";

    /// <summary>File name of the DIR/FAR table.</summary>
    public const string OpenSetCsvFileName = "open-set.csv";

    /// <summary>File name of the DIR/FAR plot.</summary>
    public const string OpenSetPngFileName = "open-set.png";

    /// <summary>A label as a plot shows it: at most <see cref="MaxPlotLabelChars"/> characters, the rest elided.</summary>
    public static string PlotLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return label.Length <= MaxPlotLabelChars ? label : string.Concat(label.AsSpan(0, MaxPlotLabelChars - 1), "…");
    }

    /// <summary>
    /// Renders one plot; a rendering failure (ScottPlot and SkiaSharp report them as argument or invalid-operation
    /// errors) leaves the plot out instead of losing the report.
    /// </summary>
    private static byte[]? TryRender(string name, Func<byte[]> render, List<string> errors)
    {
        try
        {
            return render();
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or NotSupportedException or OverflowException)
        {
            errors.Add($"{name}: {error.Message}");
            return null;
        }
    }

    /// <summary>File name of the contact sheet of misclassified faces.</summary>
    public const string MisclassifiedSheetFileName = "misclassified.png";

    private static void WriteFile(string directory, string fileName, Action<Stream> write)
    {
        using var stream = new FileStream(Path.Combine(directory, fileName), FileMode.CreateNew, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    private static void WriteMetricsJson(Stream stream, ClassificationReport report, OpenSetReport openSet, IReadOnlyList<string> plotErrors, IReadOnlyDictionary<string, object?> context)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("accuracy", report.Accuracy);
        json.WriteNumber("top_k", report.TopK);
        json.WriteNumber("top_k_accuracy", report.TopKAccuracy);
        json.WriteNumber("count", report.Count);
        json.WriteNumber("macro_precision", report.MacroPrecision);
        json.WriteNumber("macro_recall", report.MacroRecall);
        json.WriteNumber("macro_f1", report.MacroF1);
        json.WriteStartObject("per_label_counts");
        foreach (ClassMetrics c in report.PerClass.Where(c => c.Support > 0))
        {
            json.WriteNumber(c.Label, c.Support);
        }

        json.WriteEndObject();
        json.WriteStartArray("unseen_labels");
        foreach (string label in report.UnseenLabels)
        {
            json.WriteStringValue(label);
        }

        json.WriteEndArray();
        WriteOpenSetJson(json, openSet);
        json.WriteStartArray("plot_errors");
        foreach (string error in plotErrors)
        {
            json.WriteStringValue(error);
        }

        json.WriteEndArray();
        foreach ((string key, object? value) in context)
        {
            json.WritePropertyName(key);
            JsonSerializer.Serialize(json, value, ContextJsonOptions);
        }

        json.WriteEndObject();
    }

    private static void WriteOpenSetJson(Utf8JsonWriter json, OpenSetReport openSet)
    {
        WriteNumberOrNull(json, "far", openSet.Far);
        WriteNumberOrNull(json, "dir", openSet.Dir);
        json.WriteNumber("known_count", openSet.KnownCount);
        json.WriteNumber("unknown_count", openSet.UnknownCount);
        WriteNumberOrNull(json, "unknown_threshold", openSet.Threshold);
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteOpenSetCsv(Stream stream, OpenSetReport openSet)
    {
        using CsvWriter csv = CsvWriter.Create(stream, CsvTable.Options, leaveOpen: true);
        csv.WriteHeader(["threshold", "dir", "far"]);
        foreach (OpenSetPoint point in openSet.Curve)
        {
            csv.WriteField(point.Threshold);
            csv.WriteField(point.Dir);
            csv.WriteField(point.Far);
            csv.EndRecord();
        }
    }

    private static void WritePerClassCsv(Stream stream, ClassificationReport report)
    {
        using CsvWriter csv = CsvWriter.Create(stream, CsvTable.Options, leaveOpen: true);
        csv.WriteHeader(["label", "support", "precision", "recall", "f1"]);
        foreach (ClassMetrics c in report.PerClass)
        {
            csv.WriteField(c.Label);
            csv.WriteField(c.Support);
            csv.WriteField(c.Precision);
            csv.WriteField(c.Recall);
            csv.WriteField(c.F1);
            csv.EndRecord();
        }
    }

    private static void WriteConfusionCsv(Stream stream, ClassificationReport report)
    {
        using CsvWriter csv = CsvWriter.Create(stream, CsvTable.Options, leaveOpen: true);
        if (report.Labels.Count > DenseLabelsLimit)
        {
            // Most samples first; the diagonal (correct answers) is listed too, so the file sums to the sample count.
            csv.WriteHeader(["true", "predicted", "count"]);
            foreach ((int t, int p, int n) in report.Confusion.Cells.OrderByDescending(c => c.Count).ThenBy(c => c.True).ThenBy(c => c.Predicted))
            {
                csv.WriteField(report.Labels[t]);
                csv.WriteField(report.Labels[p]);
                csv.WriteField(n);
                csv.EndRecord();
            }

            return;
        }

        csv.WriteHeader(["true\\predicted", .. report.Labels]);
        int[][] dense = report.Confusion.ToDense();
        for (int t = 0; t < report.Labels.Count; t++)
        {
            csv.WriteField(report.Labels[t]);
            foreach (int n in dense[t])
            {
                csv.WriteField(n);
            }

            csv.EndRecord();
        }
    }

    private static void WriteMisclassifiedCsv(Stream stream, IReadOnlyList<Misclassification> misclassified)
    {
        using CsvWriter csv = CsvWriter.Create(stream, CsvTable.Options, leaveOpen: true);
        csv.WriteHeader(["path", "true", "predicted", "confidence"]);
        foreach (Misclassification m in misclassified)
        {
            csv.WriteField(m.Path);
            csv.WriteField(m.TrueLabel);
            csv.WriteField(m.PredictedLabel);
            csv.WriteField(m.Confidence);
            csv.EndRecord();
        }
    }

    private static byte[] RenderConfusionPng(ClassificationReport report)
    {
        int[] shown = ShownLabels(report);
        int n = shown.Length;
        (double[,] counts, int maxCount) = ConfusionCounts(report, shown);
        int cellPx = Math.Clamp(TargetMatrixPx / n, MinCellPx, MaxCellPx);

        using Plot plot = new();
        AddHeatmap(plot, counts);
        float longestLabelPx = AddLabelTicks(plot, [.. shown.Select(i => PlotLabel(report.Labels[i]))], cellPx);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.XLabel("Predicted label");
        plot.YLabel("True label");
        string which = n == report.Labels.Count ? string.Empty : $" ({n} most confused of {report.Labels.Count} labels; all cells in confusion.csv)";
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Confusion matrix: {report.Count} samples, accuracy {report.Accuracy:P1}{which}"));
        if (n <= MaxAnnotatedLabels)
        {
            AnnotateCounts(plot, counts, maxCount, cellPx);
        }

        int matrixPx = Math.Max(n * cellPx, MinMatrixPx);
        int widthPx = (int)(matrixPx + longestLabelPx + 220);
        int heightPx = (int)(matrixPx + longestLabelPx + 160);
        return plot.GetImageBytes(widthPx, heightPx, ImageFormat.Png);
    }

    /// <summary>Every label up to <see cref="DenseLabelsLimit"/>; above, the <see cref="MostConfusedLabels"/> with the most errors, in label order.</summary>
    private static int[] ShownLabels(ClassificationReport report)
    {
        if (report.Labels.Count <= DenseLabelsLimit)
        {
            return [.. Enumerable.Range(0, report.Labels.Count)];
        }

        var errors = new Dictionary<int, int>();
        foreach ((int t, int p, int count) in report.Confusion.Cells.Where(c => c.True != c.Predicted))
        {
            errors[t] = errors.GetValueOrDefault(t) + count;
            errors[p] = errors.GetValueOrDefault(p) + count;
        }

        int[] worst = [.. errors.OrderByDescending(e => e.Value).ThenBy(e => e.Key).Take(MostConfusedLabels).Select(e => e.Key)];
        // No errors at all: show the first labels, so the picture still says so.
        return worst.Length > 0 ? [.. worst.Order()] : [.. Enumerable.Range(0, MostConfusedLabels)];
    }

    private static (double[,] Counts, int MaxCount) ConfusionCounts(ClassificationReport report, int[] shown)
    {
        int n = shown.Length;
        var counts = new double[n, n];
        int maxCount = 0;
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                int count = report.Confusion[shown[t], shown[p]];
                counts[t, p] = count;
                maxCount = Math.Max(maxCount, count);
            }
        }

        return (counts, maxCount);
    }

    // ScottPlot's default heat-map layout puts row 0 at the top and cell centres on integer coordinates,
    // so true label t sits at y = n - 1 - t and predicted label p at x = p.
    private static void AddHeatmap(Plot plot, double[,] counts)
    {
        Heatmap heatmap = plot.Add.Heatmap(counts);
        heatmap.Colormap = new Viridis();
        ColorBar colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "samples";
        colorBar.Axis.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
    }

    /// <returns>The estimated width of the longest tick label in pixels, which the image size makes room for.</returns>
    private static float AddLabelTicks(Plot plot, IReadOnlyList<string> labels, int cellPx)
    {
        int n = labels.Count;
        float tickFontSize = Math.Clamp(cellPx * 0.5f, 11, 16);
        double[] positions = [.. Enumerable.Range(0, n).Select(i => (double)i)];
        plot.Axes.Bottom.SetTicks(positions, [.. labels]);
        plot.Axes.Left.SetTicks([.. positions.Select(x => n - 1 - x)], [.. labels]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = tickFontSize;
        plot.Axes.Left.TickLabelStyle.FontSize = tickFontSize;

        // About 0.6 em per character of the default font; the layout does not measure rotated tick labels.
        int longestLabel = labels.Max(l => l.Length);
        float longestLabelPx = longestLabel * tickFontSize * 0.6f;
        if (longestLabelPx > cellPx * 0.9f)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = longestLabelPx + 16;
        }

        return longestLabelPx;
    }

    private static void AnnotateCounts(Plot plot, double[,] counts, int maxCount, int cellPx)
    {
        int n = counts.GetLength(0);
        float countFontSize = Math.Clamp(cellPx * 0.4f, 9, 16);
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                int count = (int)counts[t, p];
                if (count == 0)
                {
                    continue;
                }

                Text text = plot.Add.Text(count.ToString(CultureInfo.InvariantCulture), p, n - 1 - t);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = countFontSize;
                // Viridis is dark at the low end and yellow at the high end.
                text.LabelFontColor = count > maxCount * 0.6 ? Colors.Black : Colors.White;
            }
        }
    }
}
