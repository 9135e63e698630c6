using System.Diagnostics;
using FacePipeline.Backbones;
using FacePipeline.Faces;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FacePipeline.Bench;

/// <summary>
/// The face stage without Extract around it: detector sessions on images already decoded in memory, alone and with
/// selection and alignment, so the figures are the ceilings that Extract with <c>--faces detect</c> is compared to.
/// </summary>
internal static class FaceBench
{
    /// <summary>Decodes up to <paramref name="count"/> image files (sorted by path) into memory.</summary>
    public static List<Image<Rgb24>> Decode(IEnumerable<string> paths, int count) =>
        paths.Order(StringComparer.Ordinal).Take(count).Select(p => Image.Load<Rgb24>(p)).ToList();

    /// <summary>
    /// Images/s of <c>FaceDetectorSession.Detect</c> over <paramref name="images"/>, in two arrangements: one caller with
    /// all cores as intra-op threads (<c>intra_all</c>), and one intra-op thread per session called from as many
    /// workers as cores (<c>workers</c>, as the design runs it from the decode workers). Also the share of images
    /// with at least one face.
    /// </summary>
    public static List<(string Arrangement, Stats ImagesPerSecond, double FoundShare)> Detector(FaceDetector detector, IReadOnlyList<Image<Rgb24>> images, int repeats)
    {
        int cores = Environment.ProcessorCount;
        var results = new List<(string, Stats, double)>();
        using (FaceDetectorSession session = FaceDetectorSession.Open(detector, DeviceSpec.Cpu, cores, out _))
        {
            int found = images.Count(i => session.Detect(i).Count > 0); // also the warm-up
            Stats rate = Rate(images.Count, repeats, () =>
            {
                foreach (Image<Rgb24> image in images)
                {
                    session.Detect(image);
                }
            });
            results.Add(($"intra_all ({cores} intra-op threads, 1 caller)", rate, (double)found / images.Count));
        }

        using (FaceDetectorSession session = FaceDetectorSession.Open(detector, DeviceSpec.Cpu, 1, out _))
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = cores };
            int found = images.Count(i => session.Detect(i).Count > 0);
            Stats rate = Rate(images.Count, repeats, () => Parallel.ForEach(images, parallel, image => session.Detect(image)));
            results.Add(($"workers (1 intra-op thread, {cores} callers)", rate, (double)found / images.Count));
        }

        return results;
    }

    /// <summary>
    /// Images/s of the whole face stage on decoded images: detect (1 intra-op thread, one worker per core), keep the
    /// largest face, align it onto <paramref name="backbone"/>'s geometry at its input size. Images without a face
    /// cost their detection only.
    /// </summary>
    public static Stats Stage(FaceDetector detector, Backbone backbone, IReadOnlyList<Image<Rgb24>> images, int repeats)
    {
        var p = backbone.Preprocessing;
        FaceGeometry geometry = FaceGeometry.Resolve(backbone.Description.FaceTemplate ?? FaceGeometry.GenericName, p.WidthPx, p.HeightPx);
        using FaceDetectorSession session = FaceDetectorSession.Open(detector, DeviceSpec.Cpu, 1, out _);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        void Once() => Parallel.ForEach(images, parallel, image =>
        {
            DetectedFace? face = FaceSelection.Largest(session.Detect(image), image.Width, image.Height);
            if (face is not null)
            {
                using Image<Rgb24> crop = FaceAligner.Align(image, face, geometry);
            }
        });
        Once();
        return Rate(images.Count, repeats, Once);
    }

    /// <summary>Geometry name the face stage uses for <paramref name="backbone"/>.</summary>
    public static string GeometryOf(Backbone backbone) => backbone.Description.FaceTemplate ?? FaceGeometry.GenericName;

    private static Stats Rate(int images, int repeats, Action once)
    {
        var runs = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            once();
            runs[r] = images / clock.Elapsed.TotalSeconds;
        }

        return Stats.Of(runs);
    }
}
