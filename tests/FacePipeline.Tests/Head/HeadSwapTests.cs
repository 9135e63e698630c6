using FacePipeline.Cli;
using FacePipeline.FeatureCache;
using FacePipeline.Head;
using FacePipeline.Storage;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>
/// A head is read as one version while TrainHead --overwrite replaces it: every load gives one head's labels with that
/// head's weights, never a mix and never a false "damaged" refusal.
/// </summary>
public sealed class HeadSwapTests : IDisposable
{
    private const int Loads = 80;
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Loads_beside_a_replacing_loop_see_one_version_each()
    {
        string a = await TrainAsync("a", ["s1", "s2"]);
        string b = await TrainAsync("b", ["p1", "p2", "p3"]);
        float[] probe = [0.5f, 3.2f, 0.1f, 0.7f];
        var expected = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string folder in new[] { a, b })
        {
            using HeadClassifier reference = HeadClassifier.Load(folder);
            expected[string.Join(",", reference.Labels)] = reference.Scores(probe, 1);
        }

        string live = temp.Combine("live");
        Copy(a, live);
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                Copy(i % 2 == 0 ? b : a, live);
                // A retraining loop replaces the head once per training run; this one does so every few milliseconds.
                Thread.Sleep(3);
            }
        });

        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < Loads; i++)
            {
                using HeadClassifier head = HeadClassifier.Load(live);
                string labels = string.Join(",", head.Labels);
                Assert.True(expected.TryGetValue(labels, out float[]? probabilities), $"labels {labels} are neither head's");
                Assert.Equal(probabilities, head.Scores(probe, 1));
                seen.Add(labels);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        Assert.NotEmpty(seen);
    }

    public void Dispose() => temp.Dispose();

    /// <summary>What TrainHead --overwrite does to the folder: the same AtomicFolder replacement.</summary>
    private static void Copy(string from, string to) => AtomicFolder.Write(to, staging =>
    {
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        }
    });

    private async Task<string> TrainAsync(string name, string[] labels)
    {
        var rows = new List<FeatureRow>();
        var random = new Random(name.Length);
        for (int i = 0; i < 24; i++)
        {
            int person = i % labels.Length;
            rows.Add(HandWrittenPart.Row($"{labels[person]}/{i}.pgm", labels[person], Enumerable.Range(0, 4).Select(f => (float)((f == person ? 3 : 0) + random.NextDouble())).ToArray()));
        }

        string cache = temp.Combine(name + "-cache");
        string head = temp.Combine(name + "-head");
        await HandWrittenPart.WriteAsync(Path.Combine(cache, "part-0000.parquet"), HandWrittenPart.Identity("fixture", 4), rows);
        CliRun run = await CliRun.TrainHead("--features", cache, "--out", head, "--epochs", "3");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        return head;
    }
}
