using System.CommandLine;
using System.Globalization;

namespace FacePipeline.Bench;

/// <summary>Entry point: parses the options into <see cref="BenchOptions"/> and runs <see cref="BenchRunner"/>.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var data = new Option<string>("--data") { Description = "Labelled image folder [default: data/orl-faces]", DefaultValueFactory = _ => "data/orl-faces" };
        var work = new Option<string>("--work") { Description = "Scratch folder (caches, models, heads) [default: bench/work]", DefaultValueFactory = _ => "bench/work" };
        var jsonOut = new Option<string>("--json-out") { Description = "results.json to write [default: bench/results.json]", DefaultValueFactory = _ => "bench/results.json" };
        var markdownOut = new Option<string>("--md-out") { Description = "RESULTS.md to write [default: bench/RESULTS.md]", DefaultValueFactory = _ => "bench/RESULTS.md" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing result files [default: off]" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per figure (median, min and max are reported) [default: 3; 1 with --quick]", DefaultValueFactory = _ => 3 };
        var quick = new Option<bool>("--quick") { Description = "Smoke run: 1 repeat unless --repeats is given, 3 images per person, small synthetic sets [default: off]" };
        var peer = new Option<string?>("--peer-json") { Description = "The ML.NET peer's results JSON to merge as peer_mlnet [default: none]", HelpName = "FILE" };
        var ours = new Option<string?>("--ours-metrics") { Description = "metrics.json of Extract → TrainHead → evaluate --split test on ORL-7/3 [default: none]", HelpName = "FILE" };
        var cli = new Option<string[]>("--cli-seconds") { Description = "Wall seconds of CLI stages measured by the script, NAME=SECONDS (repeatable) [default: none]", AllowMultipleArgumentsPerToken = true };
        var lfw = new Option<string?>("--lfw") { Description = "lfw-dev folder for the faces section's throughput images [default: none: ORL from --data]", HelpName = "DIR" };
        var facesWork = new Option<string?>("--faces-work") { Description = "Folder with bench.sh's faces runs (runs.tsv) [default: none: throughput only]", HelpName = "DIR" };
        var faceApiWork = new Option<string?>("--faceapi-work") { Description = "Folder with bench.sh's face-api peer runs (peer.json, runs.tsv, ours/) [default: none: the full run then records the faceapi section as not run, and --only faceapi stops with an error]", HelpName = "DIR" };
        var only = new Option<string[]>("--only")
        {
            Description = $"Run only these sections ({string.Join(", ", BenchOptions.AllSections)}) [default: all]",
            AllowMultipleArgumentsPerToken = true,
        };
        only.AcceptOnlyFromAmong([.. BenchOptions.AllSections]);
        repeats.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--repeats must be at least 1");
            }
        });

        var root = new RootCommand("FacePipeline benchmark (issue 6): writes results.json and RESULTS.md. Run it through scripts/bench.sh.")
        {
            data, work, jsonOut, markdownOut, overwrite, repeats, quick, peer, ours, cli, lfw, facesWork, faceApiWork, only,
        };
        root.SetAction(async (parse, token) =>
        {
            try
            {
                bool isQuick = parse.GetValue(quick);
                bool explicitRepeats = parse.GetResult(repeats) is { Implicit: false };
                string[] sections = parse.GetValue(only) ?? [];
                var options = new BenchOptions
                {
                    Data = parse.GetValue(data)!,
                    Work = parse.GetValue(work)!,
                    JsonOut = parse.GetValue(jsonOut)!,
                    MarkdownOut = parse.GetValue(markdownOut)!,
                    Overwrite = parse.GetValue(overwrite),
                    Repeats = isQuick && !explicitRepeats ? 1 : parse.GetValue(repeats),
                    Quick = isQuick,
                    PeerJson = parse.GetValue(peer),
                    OursMetrics = parse.GetValue(ours),
                    CliSeconds = ParseCliSeconds(parse.GetValue(cli) ?? []),
                    Lfw = parse.GetValue(lfw),
                    FacesWork = parse.GetValue(facesWork),
                    FaceApiWork = parse.GetValue(faceApiWork),
                    Sections = sections.Length > 0 ? sections.ToHashSet() : BenchOptions.AllSections.ToHashSet(),
                };
                await new BenchRunner(options, Console.Error).RunAsync(token);
                return 0;
            }
            catch (BenchException error)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
                return 1;
            }
        });
        root.Subcommands.Add(SyntheticCacheCommand());
        root.Subcommands.Add(OrlPortraitsCommand());
        return await root.Parse(args).InvokeAsync();
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

    /// <summary><c>synthetic-cache DIR --rows N --features L</c>: a synthetic feature cache for scripts/bench-streaming.sh.</summary>
    private static Command SyntheticCacheCommand()
    {
        var folder = new Argument<string>("DIR") { Description = "Cache folder to write" };
        var rows = new Option<int>("--rows") { Description = "Rows [default: 20000]", DefaultValueFactory = _ => 20_000 };
        var features = new Option<int>("--features") { Description = "Floats per row [default: 25088, VGG16's 7x7x512]", DefaultValueFactory = _ => 25_088 };
        var classes = new Option<int>("--classes") { Description = "Labels [default: 40]", DefaultValueFactory = _ => 40 };
        var groupRows = new Option<int>("--row-group-rows")
        {
            Description = "Write one part in row groups of N rows, one page per column chunk, as DuckDB (2048) does [default: 0, Extract's layout]",
        };
        var command = new Command("synthetic-cache", "Write a seeded synthetic feature cache (memory and streaming benchmarks)") { folder, rows, features, classes, groupRows };
        command.SetAction(async (parse, token) =>
        {
            if (parse.GetValue(groupRows) > 0)
            {
                await Fixtures.SyntheticFeatureCache.WriteLargeGroupsAsync(
                    parse.GetValue(folder)!, parse.GetValue(rows), parse.GetValue(features), parse.GetValue(classes), seed: 1, parse.GetValue(groupRows), cancellationToken: token);
                return 0;
            }

            await Fixtures.SyntheticFeatureCache.WriteAsync(parse.GetValue(folder)!, parse.GetValue(rows), parse.GetValue(features), parse.GetValue(classes), seed: 1, token);
            return 0;
        });
        return command;
    }

    /// <summary><c>orl-portraits DIR</c>: ORL faces as uncropped side-lit portraits, for the faces section (see <see cref="OrlPortraits"/>).</summary>
    private static Command OrlPortraitsCommand()
    {
        var folder = new Argument<string>("DIR") { Description = "Folder to write the images and orl-portraits.csv into" };
        var orl = new Option<string>("--orl") { Description = "ORL folder [default: data/orl-faces]", DefaultValueFactory = _ => "data/orl-faces" };
        var command = new Command("orl-portraits", "Write ORL as uncropped portraits (face ~25 % of a 320x243 frame, side light) with the ORL-7/3 manifest") { folder, orl };
        command.SetAction(parse =>
        {
            Console.WriteLine(OrlPortraits.Write(parse.GetValue(orl)!, parse.GetValue(folder)!));
            return 0;
        });
        return command;
    }
}
