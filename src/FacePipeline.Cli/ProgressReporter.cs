using System.Diagnostics;
using System.Globalization;

namespace FacePipeline.Cli;

/// <summary>
/// Progress on stderr: a redrawn bar with rate and ETA on a terminal; otherwise a plain line after the first report
/// and then every few seconds, so logs of batch jobs stay readable.
/// </summary>
public sealed class ProgressReporter
{
    private const double PlainIntervalSeconds = 5;
    private readonly CommandIo io;
    private readonly string unit;
    private readonly Stopwatch sinceLine = Stopwatch.StartNew();
    private bool drawn;
    private bool anyLine;

    /// <summary>Creates a reporter counting <paramref name="unit"/> (e.g. <c>images</c>).</summary>
    public ProgressReporter(CommandIo io, string unit)
    {
        this.io = io;
        this.unit = unit;
    }

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> after <paramref name="elapsedSeconds"/>.</summary>
    public void Report(int done, int total, double elapsedSeconds, int failed = 0)
    {
        double rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
        string eta = rate > 0 ? FormatSeconds((total - done) / rate) : "?";
        string failures = failed > 0 ? $", {failed} failed" : string.Empty;
        string text = string.Create(CultureInfo.InvariantCulture, $"{done}/{total} {unit}{failures}, {rate:F1} {unit}/s, ETA {eta}");
        if (io.ErrorIsTerminal)
        {
            const int width = 30;
            int filled = total > 0 ? (int)Math.Round(width * (double)done / total) : width;
            io.Error.Write($"\r[{new string('#', filled)}{new string('-', width - filled)}] {text}   ");
            drawn = true;
            if (done >= total)
            {
                Finish();
            }
        }
        else if (!anyLine || done >= total || sinceLine.Elapsed.TotalSeconds >= PlainIntervalSeconds)
        {
            // The first line at once: a log shows that the work started.
            anyLine = true;
            io.Error.WriteLine($"progress: {text}");
            sinceLine.Restart();
        }
    }

    /// <summary>Ends the bar's line on a terminal.</summary>
    public void Finish()
    {
        if (drawn)
        {
            io.Error.WriteLine();
            drawn = false;
        }
    }

    private static string FormatSeconds(double seconds) =>
        seconds >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)seconds / 60}m{(int)seconds % 60:D2}s") : string.Create(CultureInfo.InvariantCulture, $"{seconds:F0}s");
}
