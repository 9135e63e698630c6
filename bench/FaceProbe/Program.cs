using System.Diagnostics;
using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Faces;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FacePipeline.FaceProbe;

/// <summary>
/// Usage: FaceProbe [--threads N] [--detectors a,b] [--faces-csv FILE] FOLDER... — for each detector and folder (images in
/// any depth below it): detection rate (at least one face at the description's score threshold), images/s of detection
/// alone (images decoded beforehand) and with decoding, as process CPU milliseconds per image (robust to other load on
/// the machine) and as wall-clock images/s, and on images with two or more faces how often the largest and
/// the most confident face is the one nearest the image centre (where LFW's labelled person is). Results on stdout.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        int threads = Environment.ProcessorCount;
        string[] detectors = [.. FaceDetectorCatalog.KnownNames];
        string? facesCsv = null;
        string? sheets = null;
        var folders = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--detectors": detectors = args[++i].Split(','); break;
                case "--faces-csv": facesCsv = args[++i]; break;
                case "--marked": sheets = args[++i]; break;
                default: folders.Add(args[i]); break;
            }
        }

        using StreamWriter? csv = facesCsv is null ? null : new StreamWriter(facesCsv);
        csv?.WriteLine("detector,folder,path,width,height,face,score,x,y,w,h,landmarks");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; intra-op threads {threads}; one image at a time");
        Console.WriteLine("| detector | data | images | detected | rate | 2+ faces | largest=central | confident=central | detect CPU ms/img | decode+detect CPU ms/img | detect img/s (wall) | decode+detect img/s (wall) |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (string name in detectors)
        {
            FaceDetector detector = FaceDetectorCatalog.Default().Resolve(name);
            using FaceDetectorSession session = FaceDetectorSession.Open(detector, DeviceSpec.Cpu, threads, out _);
            foreach (string folder in folders)
            {
                string[] paths = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                    .Where(path => !Path.GetFileName(path).StartsWith('.') && !path.EndsWith(".md", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal).ToArray();
                Report(name, folder, paths, session, csv);
                if (sheets is not null)
                {
                    Mark(name, folder, paths, session, sheets);
                }
            }
        }

        return 0;
    }

    private static void Report(string name, string folder, string[] paths, FaceDetectorSession session, StreamWriter? csv)
    {
        // Decoding is the same for every detector; its cost is measured once per folder and added.
        (List<Image<Rgb24>> images, double decodeWall, double decodeCpu) = Timed(() => paths.Select(Image.Load<Rgb24>).ToList());
        session.Detect(images[0]);
        (List<IReadOnlyList<DetectedFace>> results, double detectWall, double detectCpu) = Timed(() => images.Select(session.Detect).ToList());
        int detected = 0, multi = 0, largestCentral = 0, confidentCentral = 0;
        for (int i = 0; i < images.Count; i++)
        {
            IReadOnlyList<DetectedFace> faces = results[i];
            Image<Rgb24> image = images[i];
            detected += faces.Count > 0 ? 1 : 0;
            for (int f = 0; f < faces.Count; f++)
            {
                DetectedFace face = faces[f];
                string landmarks = string.Join(' ', face.Landmarks.Select(l => FormattableString.Invariant($"{l.Name}:{l.Point.X:F1}:{l.Point.Y:F1}")));
                csv?.WriteLine(FormattableString.Invariant(
                    $"{name},{folder},{Path.GetRelativePath(folder, paths[i])},{image.Width},{image.Height},{f},{face.Score:F4},{face.Box.X:F1},{face.Box.Y:F1},{face.Box.Width:F1},{face.Box.Height:F1},{landmarks}"));
            }

            if (faces.Count < 2)
            {
                continue;
            }

            multi++;
            var center = new FacePoint(image.Width / 2f, image.Height / 2f);
            DetectedFace central = faces.MinBy(face => Distance(face.Box.Center, center))!;
            largestCentral += ReferenceEquals(faces.MaxBy(face => face.Box.Area), central) ? 1 : 0;
            confidentCentral += ReferenceEquals(faces[0], central) ? 1 : 0;
        }

        images.ForEach(image => image.Dispose());
        int n = paths.Length;
        Console.WriteLine(FormattableString.Invariant(
            $"| {name} | {Path.GetFileName(folder.TrimEnd('/'))} | {n} | {detected} | {(double)detected / n:F4} | {multi} | {largestCentral} | {confidentCentral} | {1000 * detectCpu / n:F2} | {1000 * (detectCpu + decodeCpu) / n:F2} | {n / detectWall:F0} | {n / (detectWall + decodeWall):F0} |"));
    }

    /// <summary>Runs <paramref name="work"/> and returns its result, wall seconds and process CPU seconds (less sensitive to other load).</summary>
    private static (T Result, double WallSeconds, double CpuSeconds) Timed<T>(Func<T> work)
    {
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        T result = work();
        double wall = clock.Elapsed.TotalSeconds;
        return (result, wall, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    /// <summary>Writes each image as PNG with its faces drawn (box red, landmarks green, best face's box yellow) for people to check.</summary>
    private static void Mark(string name, string folder, string[] paths, FaceDetectorSession session, string outFolder)
    {
        Directory.CreateDirectory(outFolder);
        foreach (string path in paths)
        {
            using Image<Rgb24> image = Image.Load<Rgb24>(path);
            IReadOnlyList<DetectedFace> faces = session.Detect(image);
            for (int f = faces.Count - 1; f >= 0; f--)
            {
                FaceBox box = faces[f].Box;
                var colour = f == 0 ? new Rgb24(255, 255, 0) : new Rgb24(255, 0, 0);
                for (int x = (int)box.X; x <= (int)box.Right; x++)
                {
                    Put(image, x, (int)box.Y, colour);
                    Put(image, x, (int)box.Bottom, colour);
                }

                for (int y = (int)box.Y; y <= (int)box.Bottom; y++)
                {
                    Put(image, (int)box.X, y, colour);
                    Put(image, (int)box.Right, y, colour);
                }

                foreach (FaceLandmark landmark in faces[f].Landmarks)
                {
                    for (int dy = -1; dy <= 1; dy++)
                    {
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            Put(image, (int)MathF.Round(landmark.Point.X) + dx, (int)MathF.Round(landmark.Point.Y) + dy, new Rgb24(0, 255, 0));
                        }
                    }
                }
            }

            string relative = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '_');
            image.SaveAsPng(Path.Combine(outFolder, $"{name}-{Path.ChangeExtension(relative, ".png")}"));
        }
    }

    private static void Put(Image<Rgb24> image, int x, int y, Rgb24 colour)
    {
        if (x >= 0 && y >= 0 && x < image.Width && y < image.Height)
        {
            image[x, y] = colour;
        }
    }

    private static float Distance(FacePoint a, FacePoint b) => MathF.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
