using System.Diagnostics;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.Features;
using FacePipeline.Head;
using FacePipeline.Prediction;

namespace FacePipeline.Bench;

/// <summary>TrainHead (the <see cref="HeadTrainer"/> with default options) and Predict (<see cref="HeadPredictor"/>) timings.</summary>
internal static class HeadBench
{
    /// <summary>Seconds of <see cref="HeadTrainer.Train"/> per repeat; the last head is returned (caller disposes its weights).</summary>
    public static (Stats Seconds, TrainedHead Head) Train(TrainingSet data, TrainingOptions options, int repeats)
    {
        TrainedHead? last = null;
        var runs = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            if (last is not null)
            {
                Dispose(last);
            }

            var clock = Stopwatch.StartNew();
            last = HeadTrainer.Train(data, options);
            runs[r] = clock.Elapsed.TotalSeconds;
        }

        return (Stats.Of(runs), last!);
    }

    /// <summary>
    /// A synthetic VGG16-shaped training set: <paramref name="rows"/> × 25 088 non-negative features (ReLU of a normal
    /// draw, like block5_pool), <paramref name="classes"/> classes of equal size with a class-dependent shift.
    /// </summary>
    public static TrainingSet Synthetic(int rows, int featureLength, int classes, int seed)
    {
        var random = new Random(seed);
        var features = new float[rows * featureLength];
        var labels = new string[rows];
        for (int i = 0; i < rows; i++)
        {
            int label = i % classes;
            labels[i] = $"s{label + 1}";
            Span<float> row = features.AsSpan(i * featureLength, featureLength);
            for (int j = 0; j < featureLength; j++)
            {
                double shift = (j + label) % classes == 0 ? 1.0 : 0.0;
                row[j] = (float)Math.Max(0, NextNormal(random) + shift);
            }
        }

        return TrainingSet.FromArrays(features, featureLength, labels, SyntheticIdentity(featureLength));
    }

    /// <summary>The identity recorded for synthetic features (no model file).</summary>
    public static FeatureIdentity SyntheticIdentity(int featureLength) => new(
        featureLength == 25_088
            ? new BackboneIdentity("synthetic-vgg16-shape", new string('0', 64), "synthetic", "224x224", [7, 7, 512])
            : new BackboneIdentity("synthetic", new string('0', 64), "synthetic", "224x224", [featureLength]),
        FaceStage.None);

    /// <summary>Writes <paramref name="head"/> as a head folder, as TrainHead does.</summary>
    public static void WriteHead(string folder, TrainedHead head, TrainingSet data, TrainingOptions options, string cacheFolder)
    {
        HeadDescription description = HeadDescriptionBuilder.Build(head, data, options, cacheFolder);
        HeadFolder.Write(folder, head, description, overwrite: true);
    }

    /// <summary>
    /// Single-image latency with a warm process: one <see cref="HeadPredictor.PredictImagesAsync"/> call per image
    /// (read, decode, backbone at batch 1, head), in milliseconds, over <paramref name="calls"/> calls after 3 warm-ups.
    /// </summary>
    public static async Task<Stats> LatencyMs(HeadClassifier head, BackboneSession session, IReadOnlyList<LabelledImage> images, int calls)
    {
        var runs = new double[calls];
        for (int i = -3; i < calls; i++)
        {
            LabelledImage image = images[(i + images.Count) % images.Count];
            var clock = Stopwatch.StartNew();
            await foreach (var result in HeadPredictor.PredictImagesAsync(head, session, [image], 1, 3, null))
            {
                if (result.FacePrediction is null)
                {
                    throw new BenchException($"{image.Path}: prediction failed ({result.Failure})");
                }
            }

            if (i >= 0)
            {
                runs[i] = clock.Elapsed.TotalMilliseconds;
            }
        }

        return Stats.Of(runs);
    }

    /// <summary>Images/s of <see cref="HeadPredictor.PredictImagesAsync"/> over <paramref name="images"/> at <paramref name="batch"/>.</summary>
    public static async Task<Stats> Throughput(HeadClassifier head, BackboneSession session, IReadOnlyList<LabelledImage> images, int batch, int repeats)
    {
        Stats seconds = await Stats.SecondsAsync(repeats, 0, async () =>
        {
            int count = 0;
            await foreach (var result in HeadPredictor.PredictImagesAsync(head, session, images, batch, 3, null))
            {
                count += result.FacePrediction is null ? 0 : 1;
            }

            if (count != images.Count)
            {
                throw new BenchException($"predicted {count} of {images.Count} images");
            }
        });
        return seconds.Map(s => images.Count / s);
    }

    /// <summary>Disposes a trained head's weight tensors.</summary>
    public static void Dispose(TrainedHead head) => head.Dispose();

    private static double NextNormal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
