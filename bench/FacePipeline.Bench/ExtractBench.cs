using System.Diagnostics;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Imaging;

namespace FacePipeline.Bench;

/// <summary>Extract end to end (the <see cref="Extractor"/> class, as the Extract program runs it), its re-run, and where its time goes.</summary>
internal static class ExtractBench
{
    /// <summary>Wall seconds of a first extraction into a fresh cache and of the immediate re-run, per repeat.</summary>
    public static async Task<(Stats First, Stats Rerun, Stats ComputeSeconds)> FirstAndRerun(
        Backbone backbone, IReadOnlyList<LabelledImage> images, string cacheFolder, int batch, int repeats, Action<string> log)
    {
        var first = new List<double>();
        var rerun = new List<double>();
        var compute = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            if (Directory.Exists(cacheFolder))
            {
                Directory.Delete(cacheFolder, recursive: true);
            }

            var extractor = new Extractor(backbone, () => BackboneSession.Open(backbone, DeviceSpec.Cpu, out _));
            var options = new ExtractionOptions { Images = images, CacheFolder = cacheFolder, BatchSize = batch };
            var clock = Stopwatch.StartNew();
            ExtractionSummary summary = await extractor.RunAsync(options);
            first.Add(clock.Elapsed.TotalSeconds);
            compute.Add(summary.ComputeSeconds);
            if (summary.New != images.Count)
            {
                throw new InvalidOperationException($"extraction computed {summary.New} of {images.Count} images ({summary.Failures.Count} failed)");
            }

            clock.Restart();
            ExtractionSummary again = await extractor.RunAsync(options);
            rerun.Add(clock.Elapsed.TotalSeconds);
            if (again.New != 0 || again.Cached != images.Count)
            {
                throw new InvalidOperationException($"re-run recomputed {again.New} images");
            }

            log($"extract {images.Count} images: {first[^1]:F2} s ({images.Count / first[^1]:F2} images/s); re-run {rerun[^1]:F3} s");
        }

        return (Stats.Of(first), Stats.Of(rerun), Stats.Of(compute));
    }

    /// <summary>
    /// Each stage of ImageFeaturizer and the Extractor timed alone on one thread over every image, in milliseconds per
    /// image: read, SHA-256, decode+resize, tensor fill, feature copy; plus the Extractor's hashing pre-pass and the
    /// Parquet write of the finished rows.
    /// </summary>
    public static async Task<Dictionary<string, Stats>> Stages(Backbone backbone, IReadOnlyList<LabelledImage> images, string workFolder, int repeats)
    {
        Preprocessing p = backbone.Preprocessing;
        var decoder = new ImageDecoder();
        byte[][] bytes = images.Select(i => File.ReadAllBytes(i.FullPath)).ToArray();
        byte[][] rgb = bytes.Select(b => decoder.DecodeResized(b, p)).ToArray();
        var tensor = new float[p.TensorLength];
        var features = new float[32 * backbone.Identity.FeatureLength];
        double perImage = 1000.0 / images.Count;
        var stages = new Dictionary<string, Stats>
        {
            ["read_file_ms"] = Stats.Seconds(repeats, 1, () =>
            {
                foreach (LabelledImage image in images)
                {
                    _ = File.ReadAllBytes(image.FullPath);
                }
            }).Map(s => s * perImage),
            ["sha256_ms"] = Stats.Seconds(repeats, 1, () =>
            {
                foreach (byte[] b in bytes)
                {
                    _ = ContentHash.Of(b);
                }
            }).Map(s => s * perImage),
            ["decode_resize_ms"] = Stats.Seconds(repeats, 1, () =>
            {
                foreach (byte[] b in bytes)
                {
                    _ = decoder.DecodeResized(b, p);
                }
            }).Map(s => s * perImage),
            ["tensor_fill_ms"] = Stats.Seconds(repeats, 1, () =>
            {
                foreach (byte[] pixels in rgb)
                {
                    TensorFiller.Fill(pixels, p, tensor);
                }
            }).Map(s => s * perImage),
            ["feature_copy_ms"] = Stats.Seconds(repeats, 1, () =>
            {
                for (int i = 0; i < images.Count; i++)
                {
                    _ = features.AsSpan(i % 32 * backbone.Identity.FeatureLength, backbone.Identity.FeatureLength).ToArray();
                }
            }).Map(s => s * perImage),
        };

        // Decode + fill on all cores at once (as the featurizer's thread-pool tasks do when nothing else runs).
        stages["decode_fill_parallel_ms"] = Stats.Seconds(repeats, 1, () => Parallel.For(0, bytes.Length, () => new float[p.TensorLength], (i, _, buffer) =>
        {
            TensorFiller.Fill(decoder.DecodeResized(bytes[i], p), p, buffer);
            return buffer;
        }, _ => { })).Map(s => s * perImage);

        stages["parquet_write_ms"] = await ParquetWriteMs(backbone, images, features, workFolder, repeats);
        return stages;
    }

    /// <summary>The Parquet write of <paramref name="images"/>' rows into one part, in milliseconds per row.</summary>
    private static async Task<Stats> ParquetWriteMs(Backbone backbone, IReadOnlyList<LabelledImage> images, float[] features, string workFolder, int repeats)
    {
        double perImage = 1000.0 / images.Count;
        string cache = Path.Combine(workFolder, "stage-parquet");
        float[][] rows = images.Select((_, i) => features.AsSpan(i % 32 * backbone.Identity.FeatureLength, backbone.Identity.FeatureLength).ToArray()).ToArray();
        Stats seconds = (await Stats.SecondsAsync(repeats, 1, async () =>
        {
            await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(Path.Combine(cache, FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(ShardSpec.All), "bench", 0)), new FeatureIdentity(backbone.Identity, FaceStage.None), ToolInfo.Version);
            for (int i = 0; i < images.Count; i++)
            {
                await writer.AddAsync(new FeatureRow(images[i].Path, images[i].Label ?? "x", images[i].Split, "0", rows[i]));
            }

            await writer.CommitAsync();
        })).Map(s => s * perImage);
        Directory.Delete(cache, recursive: true);
        return seconds;
    }
}
