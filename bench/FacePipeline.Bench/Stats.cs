using System.Diagnostics;

namespace FacePipeline.Bench;

/// <summary>Median, minimum and maximum of repeated runs of one figure.</summary>
/// <param name="Median">Median of the runs (the figure reported under the plain name).</param>
/// <param name="Min">Smallest run.</param>
/// <param name="Max">Largest run.</param>
/// <param name="Runs">Every run, in order.</param>
internal sealed record Stats(double Median, double Min, double Max, IReadOnlyList<double> Runs)
{
    /// <summary>Summarises <paramref name="runs"/> (at least one).</summary>
    public static Stats Of(IReadOnlyList<double> runs)
    {
        if (runs.Count == 0)
        {
            throw new ArgumentException("no runs", nameof(runs));
        }

        double[] sorted = runs.Order().ToArray();
        int middle = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Stats(median, sorted[0], sorted[^1], runs.ToArray());
    }

    /// <summary>Applies <paramref name="transform"/> to every run (e.g. seconds → images/s; order-reversing maps are fine).</summary>
    public Stats Map(Func<double, double> transform) => Of(Runs.Select(transform).ToArray());

    /// <summary>Runs <paramref name="once"/> <paramref name="repeats"/> times after <paramref name="warmups"/> untimed calls and returns wall seconds.</summary>
    public static Stats Seconds(int repeats, int warmups, Action once)
    {
        for (int i = 0; i < warmups; i++)
        {
            once();
        }

        var runs = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            once();
            runs[i] = clock.Elapsed.TotalSeconds;
        }

        return Of(runs);
    }

    /// <summary>Async form of <see cref="Seconds(int, int, Action)"/>.</summary>
    public static async Task<Stats> SecondsAsync(int repeats, int warmups, Func<Task> once)
    {
        for (int i = 0; i < warmups; i++)
        {
            await once();
        }

        var runs = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            await once();
            runs[i] = clock.Elapsed.TotalSeconds;
        }

        return Of(runs);
    }
}
