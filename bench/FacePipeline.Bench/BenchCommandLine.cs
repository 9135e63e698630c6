using System.CommandLine;
using System.Globalization;

namespace FacePipeline.Bench;

/// <summary>The benchmark's options on the command line, and their reading into one <see cref="BenchOptions"/>.</summary>
internal sealed class BenchCommandLine
{
    public BenchCommandLine()
    {
        Only.AcceptOnlyFromAmong([.. BenchOptions.AllSections]);
        Repeats.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--repeats must be at least 1");
            }
        });
    }

    public Option<string> Data { get; } = new("--data") { Description = "Labelled image folder [default: data/orl-faces]", DefaultValueFactory = _ => "data/orl-faces" };

    public Option<string> Work { get; } = new("--work") { Description = "Scratch folder (caches, models, heads) [default: bench/work]", DefaultValueFactory = _ => "bench/work" };

    public Option<string> JsonOut { get; } = new("--json-out") { Description = "results.json to write [default: bench/results.json]", DefaultValueFactory = _ => "bench/results.json" };

    public Option<string> MarkdownOut { get; } = new("--md-out") { Description = "RESULTS.md to write [default: bench/RESULTS.md]", DefaultValueFactory = _ => "bench/RESULTS.md" };

    public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "Replace existing result files [default: off]" };

    public Option<int> Repeats { get; } = new("--repeats") { Description = "Timed runs per figure (median, min and max are reported) [default: 3; 1 with --quick]", DefaultValueFactory = _ => 3 };

    public Option<bool> Quick { get; } = new("--quick") { Description = "Smoke run: 1 repeat unless --repeats is given, 3 images per person, small synthetic sets [default: off]" };

    public Option<string?> Peer { get; } = new("--peer-json") { Description = "The ML.NET peer's results JSON to merge as peer_mlnet [default: none]", HelpName = "FILE" };

    public Option<string?> Ours { get; } = new("--ours-metrics") { Description = "metrics.json of Extract → TrainHead → evaluate --split test on ORL-7/3 [default: none]", HelpName = "FILE" };

    public Option<string[]> Cli { get; } = new("--cli-seconds") { Description = "Wall seconds of CLI stages measured by the script, NAME=SECONDS (repeatable) [default: none]", AllowMultipleArgumentsPerToken = true };

    public Option<string?> Lfw { get; } = new("--lfw") { Description = "lfw-dev folder for the faces section's throughput images [default: none: ORL from --data]", HelpName = "DIR" };

    public Option<string?> FacesWork { get; } = new("--faces-work") { Description = "Folder with bench.sh's faces runs (runs.tsv) [default: none: throughput only]", HelpName = "DIR" };

    public Option<string?> FaceApiWork { get; } = new("--faceapi-work") { Description = "Folder with bench.sh's face-api peer runs (peer.json, runs.tsv, ours/) [default: none: the full run then records the faceapi section as not run, and --only faceapi stops with an error]", HelpName = "DIR" };

    public Option<string[]> Only { get; } = new("--only")
    {
        Description = $"Run only these sections ({string.Join(", ", BenchOptions.AllSections)}) [default: all]",
        AllowMultipleArgumentsPerToken = true,
    };

    /// <summary>Every option, in the order --help lists them.</summary>
    public IEnumerable<Option> All => [Data, Work, JsonOut, MarkdownOut, Overwrite, Repeats, Quick, Peer, Ours, Cli, Lfw, FacesWork, FaceApiWork, Only];

    /// <summary>The effective options of <paramref name="parse"/>.</summary>
    public BenchOptions Read(ParseResult parse)
    {
        bool isQuick = parse.GetValue(Quick);
        bool explicitRepeats = parse.GetResult(Repeats) is { Implicit: false };
        string[] sections = parse.GetValue(Only) ?? [];
        return new BenchOptions
        {
            Data = parse.GetValue(Data)!,
            Work = parse.GetValue(Work)!,
            JsonOut = parse.GetValue(JsonOut)!,
            MarkdownOut = parse.GetValue(MarkdownOut)!,
            Overwrite = parse.GetValue(Overwrite),
            Repeats = isQuick && !explicitRepeats ? 1 : parse.GetValue(Repeats),
            Quick = isQuick,
            PeerJson = parse.GetValue(Peer),
            OursMetrics = parse.GetValue(Ours),
            CliSeconds = ParseCliSeconds(parse.GetValue(Cli) ?? []),
            Lfw = parse.GetValue(Lfw),
            FacesWork = parse.GetValue(FacesWork),
            FaceApiWork = parse.GetValue(FaceApiWork),
            Sections = sections.Length > 0 ? sections.ToHashSet() : BenchOptions.AllSections.ToHashSet(),
        };
    }

    private static Dictionary<string, double> ParseCliSeconds(string[] pairs)
    {
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            string[] parts = pair.Split('=', 2);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new BenchException($"--cli-seconds {pair}: expected NAME=SECONDS");
            }

            seconds[parts[0]] = value;
        }

        return seconds;
    }
}
