using System.Text.Json.Nodes;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Bench;

/// <summary>
/// The benchmark (bench/FacePipeline.Bench) in its smallest mode, so a change in src that breaks it fails CI: the GEMM
/// and cache I/O sections of a quick run (120 ORL images extracted, a 1 000 × 25 088 synthetic cache written and read).
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Quick_run_writes_results_json_and_results_md_with_measured_figures()
    {
        using var temp = new TempFolder();
        string json = temp.Combine("results.json");
        string markdown = temp.Combine("RESULTS.md");
        using ProgramProcess bench = ProgramProcess.Start(
            "FacePipeline.Bench", "--quick", "--only", "gemm", "cache-io", "--data", TestPaths.OrlFaces,
            "--work", temp.Combine("work"), "--json-out", json, "--md-out", markdown);
        CliRun run = await bench.WaitAsync();

        Assert.True(run.ExitCode == 0, run.Error);
        JsonObject results = Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(json)));
        Assert.True((bool?)results["run"]?["quick"]);
        Assert.Equal(["gemm", "cache-io"], (results["run"]?["sections"] as JsonArray ?? []).Select(s => (string?)s));
        Assert.True((double?)results["gemm_peak_gflops"] > 0);
        JsonNode orl = results["cache_io"]?["orl"] ?? throw new InvalidOperationException("no cache_io.orl in " + json);
        Assert.Equal(120, (int?)orl["rows"]);
        Assert.Equal(512, (int?)orl["feature_length"]);
        Assert.True((double?)orl["read_mb_per_s"] > 0);
        JsonNode large = results["cache_io"]?["large"] ?? throw new InvalidOperationException("no cache_io.large in " + json);
        Assert.Equal(1000, (int?)large["rows"]);
        Assert.Equal(25_088, (int?)large["feature_length"]);
        Assert.True((double?)large["write_mb_per_s"] > 0);

        string text = File.ReadAllText(markdown);
        Assert.Contains("Quick smoke run", text, StringComparison.Ordinal);
        Assert.Contains("| 7 | cache orl: 120 × 512", text, StringComparison.Ordinal);
        Assert.DoesNotContain("## Findings", text, StringComparison.Ordinal);
    }
}
