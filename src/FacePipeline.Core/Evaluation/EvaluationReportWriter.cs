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
/// <c>confusion.png</c> and <c>misclassified.csv</c>. The folder is filled as a staging sibling and swapped in as a
/// whole (<see cref="AtomicFolder"/>, like the head folder), so a reader sees the old report or the new one, and a
/// failure half-way (a plot that cannot be rendered, a full disk) leaves the old report as it was.
/// </summary>
public static class EvaluationReportWriter
{
    /// <summary>The keys <c>metrics.json</c> always has; the context may not reuse them.</summary>
    private static readonly string[] MetricsKeys =
    [
        "accuracy", "top_k", "top_k_accuracy", "count", "macro_precision", "macro_recall", "macro_f1", "per_label_counts",
        "unseen_labels",
    ];

    private static readonly JsonSerializerOptions ContextJsonOptions = new() { WriteIndented = true };

    // Heat-map geometry in pixels: cells shrink as labels grow (40 labels take about 1 000 px), but never below a size
    // where a two-digit count and a tick label stay readable; a few labels still get a matrix of at least 420 px.
    private const int MaxCellPx = 56;
    private const int MinCellPx = 24;
    private const int TargetMatrixPx = 900;
    private const int MinMatrixPx = 420;
    private const int MaxAnnotatedLabels = 40;

    /// <summary>Writes the five report files into <paramref name="reportDir"/>, creating it when missing.</summary>
    /// <param name="reportDir">The folder to write; an existing one is replaced as a whole (other files in it go too).</param>
    /// <param name="report">The metrics to write.</param>
    /// <param name="misclassified">The wrongly predicted samples, written in the given order.</param>
    /// <param name="context">
    /// Extra top-level entries for <c>metrics.json</c>, such as head and cache identities and a timestamp; values are
    /// serialized with System.Text.Json as their runtime types.
    /// </param>
    /// <param name="misclassifiedPng"><c>misclassified.png</c> (a contact sheet of the wrong faces), or null for none (a stale one is removed).</param>
    /// <exception cref="ArgumentException">A context key repeats one of the metric keys of <c>metrics.json</c>.</exception>
    public static void Write(
        string reportDir,
        ClassificationReport report,
        IReadOnlyList<Misclassification> misclassified,
        IReadOnlyDictionary<string, object?> context,
        byte[]? misclassifiedPng = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reportDir);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(misclassified);
        ArgumentNullException.ThrowIfNull(context);
        string? clash = context.Keys.FirstOrDefault(k => MetricsKeys.Contains(k, StringComparer.Ordinal));
        if (clash is not null)
        {
            throw new ArgumentException($"Context key '{clash}' would replace a metric of metrics.json; rename it.", nameof(context));
        }

        AtomicFolder.Write(reportDir, staging =>
        {
            WriteFile(staging, "metrics.json", stream => WriteMetricsJson(stream, report, context));
            WriteFile(staging, "per-class.csv", stream => WritePerClassCsv(stream, report));
            WriteFile(staging, "confusion.csv", stream => WriteConfusionCsv(stream, report));
            WriteFile(staging, "confusion.png", stream => stream.Write(RenderConfusionPng(report)));
            WriteFile(staging, "misclassified.csv", stream => WriteMisclassifiedCsv(stream, misclassified));
            if (misclassifiedPng is not null)
            {
                WriteFile(staging, MisclassifiedSheetFileName, stream => stream.Write(misclassifiedPng));
            }
        });
    }

    /// <summary>File name of the contact sheet of misclassified faces.</summary>
    public const string MisclassifiedSheetFileName = "misclassified.png";

    private static void WriteFile(string directory, string fileName, Action<Stream> write)
    {
        using var stream = new FileStream(Path.Combine(directory, fileName), FileMode.CreateNew, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    private static void WriteMetricsJson(Stream stream, ClassificationReport report, IReadOnlyDictionary<string, object?> context)
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
        foreach ((string key, object? value) in context)
        {
            json.WritePropertyName(key);
            JsonSerializer.Serialize(json, value, ContextJsonOptions);
        }

        json.WriteEndObject();
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
        csv.WriteHeader(["true\\predicted", .. report.Labels]);
        for (int t = 0; t < report.Labels.Count; t++)
        {
            csv.WriteField(report.Labels[t]);
            foreach (int n in report.Confusion[t])
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
        int n = report.Labels.Count;
        (double[,] counts, int maxCount) = ConfusionCounts(report);
        int cellPx = Math.Clamp(TargetMatrixPx / n, MinCellPx, MaxCellPx);

        using Plot plot = new();
        AddHeatmap(plot, counts);
        float longestLabelPx = AddLabelTicks(plot, report.Labels, cellPx);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.XLabel("Predicted label");
        plot.YLabel("True label");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Confusion matrix: {report.Count} samples, accuracy {report.Accuracy:P1}"));
        if (n <= MaxAnnotatedLabels)
        {
            AnnotateCounts(plot, report, maxCount, cellPx);
        }

        int matrixPx = Math.Max(n * cellPx, MinMatrixPx);
        int widthPx = (int)(matrixPx + longestLabelPx + 220);
        int heightPx = (int)(matrixPx + longestLabelPx + 160);
        return plot.GetImageBytes(widthPx, heightPx, ImageFormat.Png);
    }

    private static (double[,] Counts, int MaxCount) ConfusionCounts(ClassificationReport report)
    {
        int n = report.Labels.Count;
        var counts = new double[n, n];
        int maxCount = 0;
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                counts[t, p] = report.Confusion[t][p];
                maxCount = Math.Max(maxCount, report.Confusion[t][p]);
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

    private static void AnnotateCounts(Plot plot, ClassificationReport report, int maxCount, int cellPx)
    {
        int n = report.Labels.Count;
        float countFontSize = Math.Clamp(cellPx * 0.4f, 9, 16);
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                int count = report.Confusion[t][p];
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
