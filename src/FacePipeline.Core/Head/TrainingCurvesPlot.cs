using FacePipeline.Storage;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;

namespace FacePipeline.Head;

/// <summary>Draws the training history as a PNG: loss per epoch on the left, accuracy per epoch on the right.</summary>
public static class TrainingCurvesPlot
{
    private const int WidthPx = 1400;
    private const int HeightPx = 560;

    /// <summary>
    /// Writes the loss and accuracy curves of <paramref name="history"/> to <paramref name="pngPath"/>, training and,
    /// for the epochs that have them, validation values. The image is written through <see cref="AtomicFile"/> and renamed over
    /// <paramref name="pngPath"/>; its folder must exist.
    /// </summary>
    /// <param name="pngPath">Where to write the PNG; an existing file is replaced.</param>
    /// <param name="history">One record per epoch, in epoch order.</param>
    /// <exception cref="ArgumentException"><paramref name="history"/> is empty.</exception>
    public static void Write(string pngPath, IReadOnlyList<EpochRecord> history)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
        {
            throw new ArgumentException("The training history has no epochs to plot.", nameof(history));
        }

        using Plot lossPlot = new();
        using Plot accuracyPlot = new();
        AddCurves(lossPlot, history, r => r.Loss, r => r.ValLoss);
        lossPlot.Title("Loss");
        lossPlot.YLabel("Cross-entropy");
        lossPlot.ShowLegend(Alignment.UpperRight);

        AddCurves(accuracyPlot, history, r => r.Accuracy * 100, r => r.ValAccuracy * 100);
        accuracyPlot.Title("Accuracy");
        accuracyPlot.YLabel("Accuracy (%)");
        accuracyPlot.Axes.SetLimitsY(-2, 102);
        accuracyPlot.ShowLegend(Alignment.LowerRight);

        Multiplot multiplot = new();
        multiplot.Reset(lossPlot);
        multiplot.AddPlot(accuracyPlot);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        using Image image = multiplot.Render(WidthPx, HeightPx);
        byte[] png = image.GetImageBytes(ImageFormat.Png, 100);

        AtomicFile.Write(pngPath, stream => stream.Write(png));
    }

    private static void AddCurves(
        Plot plot,
        IReadOnlyList<EpochRecord> history,
        Func<EpochRecord, double> train,
        Func<EpochRecord, double?> validation)
    {
        double[] epochs = [.. history.Select(r => (double)r.Epoch)];
        double[] trainValues = [.. history.Select(train)];
        Scatter trainLine = plot.Add.ScatterLine(epochs, trainValues);
        trainLine.LegendText = "train";
        trainLine.LineWidth = 2;
        trainLine.MarkerSize = history.Count <= 50 ? 6 : 0;

        EpochRecord[] validated = [.. history.Where(r => validation(r).HasValue)];
        if (validated.Length > 0)
        {
            double[] validatedEpochs = [.. validated.Select(r => (double)r.Epoch)];
            double[] validationValues = [.. validated.Select(r => validation(r)!.Value)];
            Scatter validationLine = plot.Add.ScatterLine(validatedEpochs, validationValues);
            validationLine.LegendText = "validation";
            validationLine.LineWidth = 2;
            validationLine.MarkerSize = validated.Length <= 50 ? 6 : 0;
            validationLine.LinePattern = LinePattern.Dashed;
        }

        plot.XLabel("Epoch");
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
    }
}
