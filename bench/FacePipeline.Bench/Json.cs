using System.Text.Json.Nodes;

namespace FacePipeline.Bench;

/// <summary>How figures go into results.json: the plain name holds the median, <c>_min</c>/<c>_max</c>/<c>_runs</c> the spread.</summary>
internal static class Json
{
    /// <summary>Adds <paramref name="stats"/> under <paramref name="name"/> (median), <c>name_min</c>, <c>name_max</c> and <c>name_runs</c>.</summary>
    public static JsonObject Put(this JsonObject target, string name, Stats stats, int digits = 4)
    {
        target[name] = Round(stats.Median, digits);
        target[name + "_min"] = Round(stats.Min, digits);
        target[name + "_max"] = Round(stats.Max, digits);
        target[name + "_runs"] = new JsonArray(stats.Runs.Select(r => (JsonNode?)Round(r, digits)).ToArray());
        return target;
    }

    /// <summary>Rounds to <paramref name="digits"/> significant-looking decimals, keeping small numbers readable.</summary>
    public static double Round(double value, int digits = 4)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value == 0)
        {
            return double.IsFinite(value) ? value : 0;
        }

        int magnitude = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        int decimals = Math.Clamp(digits - 1 - magnitude, 0, 12);
        return Math.Round(value, decimals);
    }

    /// <summary>A number at <paramref name="path"/> (dot-separated), or NaN.</summary>
    public static double Number(JsonNode? node, string path)
    {
        foreach (string part in path.Split('.'))
        {
            node = node?[part];
        }

        if (node is not JsonValue value)
        {
            return double.NaN;
        }

        // Values built in this process keep their CLR type (int, long, double); parsed ones are JSON elements.
        return value.TryGetValue(out double number) ? number
            : value.TryGetValue(out int integer) ? integer
            : value.TryGetValue(out long wide) ? wide
            : double.NaN;
    }
}
