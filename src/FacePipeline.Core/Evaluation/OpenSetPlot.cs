using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;

namespace FacePipeline.Evaluation;

/// <summary>
/// <c>open-set.png</c>: DIR against FAR over the thresholds of the curve, FAR on a log axis (log10 drawn on a linear
/// axis with 10^k tick labels, ScottPlot's way), the operating point (the threshold applied) marked. A FAR of 0 cannot
/// sit on a log axis: it is drawn at half of one stranger (0.5 / strangers) and the axis label says so.
/// </summary>
public static class OpenSetPlot
{
    private const int WidthPx = 900;
    private const int HeightPx = 640;

    /// <summary>Renders the plot (needs strangers and known faces in <paramref name="openSet"/>).</summary>
    public static byte[] Render(OpenSetReport openSet)
    {
        ArgumentNullException.ThrowIfNull(openSet);
        double floor = 0.5 / Math.Max(openSet.UnknownCount, 1);
        OpenSetPoint[] points = [.. openSet.Curve.Where(p => p.Far is not null && p.Dir is not null).OrderBy(p => p.Far).ThenBy(p => p.Dir)];
        using Plot plot = new();
        if (points.Length > 0)
        {
            Scatter curve = plot.Add.Scatter(points.Select(p => LogFar(p.Far!.Value, floor)).ToArray(), points.Select(p => p.Dir!.Value).ToArray());
            curve.LegendText = "DIR at each threshold";
            curve.MarkerSize = 3;
        }

        if (openSet.Far is double far && openSet.Dir is double dir)
        {
            Scatter point = plot.Add.Scatter(new[] { LogFar(far, floor) }, new[] { dir });
            point.MarkerSize = 12;
            point.MarkerShape = MarkerShape.OpenCircle;
            point.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"operating point: threshold {openSet.Threshold?.ToString("F4", CultureInfo.InvariantCulture) ?? "none"}, FAR {far:F4}, DIR {dir:F4}");
        }

        plot.Axes.Bottom.TickGenerator = new NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = x => Math.Pow(10, x).ToString("G3", CultureInfo.InvariantCulture),
            MinorTickGenerator = new LogMinorTickGenerator(),
        };
        plot.Axes.SetLimits(Math.Floor(Math.Log10(floor)), 0.05, 0, 1.02);
        plot.XLabel(string.Create(CultureInfo.InvariantCulture, $"FAR: share of {openSet.UnknownCount} stranger faces given a name (log; 0 drawn at {floor:G2})"));
        plot.YLabel($"DIR: share of {openSet.KnownCount} known faces named correctly");
        plot.Title("Open set: identification rate against false accept rate");
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(WidthPx, HeightPx, ImageFormat.Png);
    }

    private static double LogFar(double far, double floor) => Math.Log10(Math.Max(far, floor));
}
