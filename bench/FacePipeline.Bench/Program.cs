using System.CommandLine;

namespace FacePipeline.Bench;

/// <summary>Entry point: parses the options into <see cref="BenchOptions"/> and runs <see cref="BenchRunner"/>.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("FacePipeline benchmark (issue 6): writes results.json and RESULTS.md. Run it through scripts/bench.sh.");
        var cli = new BenchCommandLine();
        foreach (Option option in cli.All)
        {
            root.Options.Add(option);
        }

        root.SetAction(async (parse, token) =>
        {
            try
            {
                await new BenchRunner(cli.Read(parse), Console.Error).RunAsync(token);
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
