using System.Diagnostics;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Imaging;

namespace FacePipeline.Bench;

/// <summary>
/// Backbone inference alone: <c>BackboneSession.Run</c> on tensors already preprocessed in memory (real ORL faces,
/// decoded and filled once), so the figure is the ceiling for Extract.
/// </summary>
internal static class InferenceBench
{
    /// <summary>Preprocesses <paramref name="count"/> images (cycled) back to back for <paramref name="backbone"/>.</summary>
    public static float[] Tensors(Backbone backbone, IReadOnlyList<LabelledImage> images, int count)
    {
        Preprocessing p = backbone.Preprocessing;
        var decoder = new ImageDecoder();
        var tensors = new float[count * p.TensorLength];
        for (int i = 0; i < count; i++)
        {
            byte[] rgb = decoder.DecodeResized(File.ReadAllBytes(images[i % images.Count].FullPath), p);
            TensorFiller.Fill(rgb, p, tensors.AsSpan(i * p.TensorLength, p.TensorLength));
        }

        return tensors;
    }

    /// <summary>Images/s of <paramref name="run"/> at <paramref name="batch"/>, each timed run covering at least <paramref name="minImages"/> images.</summary>
    public static Stats ImagesPerSecond(int batch, int minImages, int repeats, Action<int> run)
    {
        int calls = Math.Max(1, (minImages + batch - 1) / batch);
        run(batch);
        var runs = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
            {
                run(batch);
            }

            runs[r] = calls * batch / clock.Elapsed.TotalSeconds;
        }

        return Stats.Of(runs);
    }

    /// <summary>
    /// BackboneSession.Run (the production path) at each batch size, through a session opened for that batch size and
    /// called as the featurizer calls it: from one thread, or from each of its <see cref="BackboneSession.Lanes"/> at
    /// once (batch size 1 on the CPU).
    /// </summary>
    public static List<InferenceResult> Production(Backbone backbone, float[] tensors, IReadOnlyList<int> batches, int minImages, int repeats, double gflopPerImage, Action<string> log)
    {
        var results = new List<InferenceResult>();
        foreach (int batch in batches)
        {
            using BackboneSession session = BackboneSession.Open(backbone, DeviceSpec.Cpu, batch, out _);
            int lanes = session.Lanes;
            float[][] features = Enumerable.Range(0, lanes).Select(_ => new float[batch * session.FeatureLength]).ToArray();
            Stats stats = lanes == 1
                ? ImagesPerSecond(batch, minImages, repeats, b => session.Run(tensors, b, features[0]))
                : ImagesPerSecond(batch * lanes, minImages, repeats, _ => Parallel.For(0, lanes, new ParallelOptions { MaxDegreeOfParallelism = lanes }, lane => session.Run(tensors, batch, features[lane])));
            var result = new InferenceResult(backbone.Identity.Name, batch, stats, gflopPerImage, SessionVariant.Current.Name);
            log($"inference {result.Model} batch {batch}{(lanes > 1 ? $" ({lanes} lanes)" : string.Empty)}: {stats.Median:F2} images/s ({result.Gflops:F1} GFLOP/s)");
            results.Add(result);
        }

        return results;
    }

    /// <summary>
    /// The same measurement through sessions opened with each variant's options, plus each variant's session creation
    /// time and the time of the first batch-32 run of a fresh session (both paid once per Extract run). The timed runs
    /// go round-robin over the variants, so a change in machine load affects them all alike.
    /// </summary>
    public static List<InferenceResult> Variants(
        Backbone backbone, string dynamicModel, string optimizedModel, float[] tensors, IReadOnlyList<SessionVariant> variants, IReadOnlyList<int> batches, int minImages, int repeats, double gflopPerImage, Action<string> log)
    {
        int firstBatch = Math.Min(32, tensors.Length / backbone.Preprocessing.TensorLength);
        var sessions = new List<RawSession>();
        var opens = new List<Stats>();
        var firsts = new List<Stats>();
        try
        {
            foreach (SessionVariant variant in variants)
            {
                string model = variant.UsesOptimizedModel ? optimizedModel : dynamicModel;
                var open = new double[repeats];
                var first = new double[repeats];
                for (int r = 0; r < repeats; r++)
                {
                    var clock = Stopwatch.StartNew();
                    var session = new RawSession(backbone, model, variant);
                    open[r] = clock.Elapsed.TotalSeconds;
                    clock.Restart();
                    session.Run(tensors, firstBatch);
                    first[r] = clock.Elapsed.TotalSeconds;
                    if (r < repeats - 1)
                    {
                        session.Dispose();
                    }
                    else
                    {
                        sessions.Add(session);
                    }
                }

                opens.Add(Stats.Of(open));
                firsts.Add(Stats.Of(first));
                log($"session [{variant.Name}]: open {opens[^1].Median:F3} s, first batch-{firstBatch} run {firsts[^1].Median:F3} s");
            }

            var results = new List<InferenceResult>();
            foreach (int batch in batches)
            {
                int calls = Math.Max(1, (minImages + batch - 1) / batch);
                var runs = variants.Select(_ => new double[repeats]).ToArray();
                foreach (RawSession session in sessions)
                {
                    session.Run(tensors, batch);
                }

                for (int r = 0; r < repeats; r++)
                {
                    for (int v = 0; v < sessions.Count; v++)
                    {
                        var clock = Stopwatch.StartNew();
                        for (int i = 0; i < calls; i++)
                        {
                            sessions[v].Run(tensors, batch);
                        }

                        runs[v][r] = calls * batch / clock.Elapsed.TotalSeconds;
                    }
                }

                for (int v = 0; v < sessions.Count; v++)
                {
                    var result = new InferenceResult(backbone.Identity.Name, batch, Stats.Of(runs[v]), gflopPerImage, variants[v].Name)
                    {
                        OpenSeconds = opens[v],
                        FirstRunSeconds = firsts[v],
                    };
                    log($"inference {result.Model} batch {batch} [{variants[v].Name}]: {result.ImagesPerSecond.Median:F2} images/s");
                    results.Add(result);
                }
            }

            return results;
        }
        finally
        {
            foreach (RawSession session in sessions)
            {
                session.Dispose();
            }
        }
    }

    /// <summary>Seconds to open a BackboneSession (model load, graph optimisation, kernel set-up).</summary>
    public static Stats OpenSeconds(Backbone backbone, int repeats) =>
        Stats.Seconds(repeats, 0, () => BackboneSession.Open(backbone, DeviceSpec.Cpu, out _).Dispose());

    /// <summary>MACs per image of VGG16-notop from its layer shapes: Σ H·W·Cout·Cin·9 over the 13 convolutions (224×224 input).</summary>
    public static double Vgg16NotopMacs()
    {
        int[][] blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
        double macs = 0;
        int side = 224;
        int channels = 3;
        foreach (int[] block in blocks)
        {
            foreach (int outChannels in block)
            {
                macs += (double)side * side * outChannels * channels * 9;
                channels = outChannels;
            }

            side /= 2;
        }

        return macs;
    }
}
