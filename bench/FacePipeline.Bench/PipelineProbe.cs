using System.Diagnostics;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Imaging;

namespace FacePipeline.Bench;

/// <summary>
/// Featurisation alone on an open session (no hash pass, no Parquet), to separate the decode/inference pipeline from
/// Extract's fixed costs: the real <see cref="ImageFeaturizer"/> (decode tasks on the thread pool run ahead of and
/// alongside inference) against a no-overlap schedule (each batch decoded on all cores, then run). Timed round-robin.
/// </summary>
internal static class PipelineProbe
{
    /// <summary>Images/s of each probe over <paramref name="images"/> at <paramref name="batch"/>.</summary>
    public static async Task<List<(string Name, string Change, Stats ImagesPerSecond)>> Run(Backbone backbone, IReadOnlyList<LabelledImage> images, int batch, int repeats)
    {
        using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, out _);
        (string Name, string Change, Func<Task> Once)[] probes =
        [
            ("current", "ImageFeaturizer.FeaturizeAsync as Extract uses it (decode tasks overlap inference)", () => Featurizer(session, images, batch)),
            ("no-overlap", "decode+fill each batch with Parallel.For on all cores, then BackboneSession.Run (no decode during inference)", () => NoOverlap(session, images, batch)),
        ];
        foreach ((string _, string _, Func<Task> once) in probes)
        {
            await once();
        }

        var runs = probes.Select(_ => new double[repeats]).ToArray();
        for (int r = 0; r < repeats; r++)
        {
            for (int p = 0; p < probes.Length; p++)
            {
                var clock = Stopwatch.StartNew();
                await probes[p].Once();
                runs[p][r] = images.Count / clock.Elapsed.TotalSeconds;
            }
        }

        return probes.Select((p, i) => (p.Name, p.Change, Stats.Of(runs[i]))).ToList();
    }

    private static async Task Featurizer(BackboneSession session, IReadOnlyList<LabelledImage> images, int batch)
    {
        var featurizer = new ImageFeaturizer(session);
        var inputs = images.Select(i => new HashedImage(i, null)).ToList();
        await foreach (FeaturizedImage result in featurizer.FeaturizeAsync(inputs, batch))
        {
            if (result.Features is null)
            {
                throw new BenchException($"{result.Image.Path}: {result.Failure}");
            }
        }
    }

    private static Task NoOverlap(BackboneSession session, IReadOnlyList<LabelledImage> images, int batch)
    {
        Preprocessing p = session.Backbone.Preprocessing;
        var decoder = new ImageDecoder();
        var tensors = new float[batch * p.TensorLength];
        var features = new float[batch * session.FeatureLength];
        for (int start = 0; start < images.Count; start += batch)
        {
            int count = Math.Min(batch, images.Count - start);
            Parallel.For(0, count, i =>
            {
                byte[] bytes = File.ReadAllBytes(images[start + i].FullPath);
                _ = ContentHash.Of(bytes);
                TensorFiller.Fill(decoder.DecodeResized(bytes, p), p, tensors.AsSpan(i * p.TensorLength, p.TensorLength));
            });
            session.Run(tensors, count, features);
            for (int i = 0; i < count; i++)
            {
                _ = features.AsSpan(i * session.FeatureLength, session.FeatureLength).ToArray();
            }
        }

        return Task.CompletedTask;
    }
}
