using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FacePipeline.Extraction;

/// <summary>
/// The one path from image files to features, shared by extraction and prediction: read bytes, hash, decode, then
/// either resize the whole image (face stage <c>none</c>) or detect → pick the largest face → align it onto the
/// backbone's geometry at its input size (one resampling), then <see cref="TensorFiller"/> and batched backbone
/// inference. Decoding runs ahead of inference on the thread
/// pool through a bounded queue (twice the batch size), so memory stays flat for any number of images. A session with
/// several <see cref="BackboneSession.Lanes"/> (batch size 1 on the CPU) is run by the decoding workers themselves,
/// one image per call on each worker's own thread; otherwise faces are packed into batches for one call over every
/// core. Results come back in input order. With flip test-time augmentation each face's tensor is followed by its
/// mirror's, and the two feature vectors are combined (<see cref="FlipAugmentation"/>).
/// </summary>
public sealed class ImageFeaturizer
{
    private readonly BackboneSession session;
    private readonly FaceStageSession? faces;
    private readonly ImageDecoder decoder;
    private readonly bool flipTta;

    /// <summary>Creates a featurizer over an open session, with a face stage or (null) whole images.</summary>
    /// <param name="session">The backbone.</param>
    /// <param name="faces">The detecting face stage, or null for whole images.</param>
    /// <param name="wholeImages">For whole images: the stage to make features under (default <see cref="FaceStage.None"/>;
    /// a stage recorded before EXIF orientation was applied only to extend such a cache or serve such a head); a detecting
    /// stage comes with <paramref name="faces"/>. The stage also says whether each face is averaged with its mirror
    /// (<see cref="FaceStage.FlipTta"/>).</param>
    public ImageFeaturizer(BackboneSession session, FaceStageSession? faces = null, FaceStage? wholeImages = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        this.session = session;
        this.faces = faces;
        FaceStage stage = faces?.Stage ?? wholeImages ?? FaceStage.None;
        decoder = new ImageDecoder(stage.AutoOrient);
        flipTta = stage.FlipTta;
        Identity = new FeatureIdentity(session.Backbone.Identity, stage);
    }

    /// <summary>The identity of the features this featurizer makes: the backbone's and the face stage's.</summary>
    public FeatureIdentity Identity { get; }

    /// <summary>Featurizes <paramref name="images"/>.</summary>
    /// <param name="images">Images, each with the SHA-256 its bytes must still have (or null to accept any bytes).</param>
    /// <param name="batchSize">Images per inference call.</param>
    /// <param name="everyFace">Under a detecting stage, one result per face found (the kept face first) instead of the kept face alone.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async IAsyncEnumerable<FeaturizedImage> FeaturizeAsync(
        IReadOnlyList<HashedImage> images,
        int batchSize,
        bool everyFace = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Preprocessing preprocessing = session.Backbone.Preprocessing;
        var queue = Channel.CreateBounded<Task<Decoded>>(new BoundedChannelOptions(Math.Max(batchSize, session.Lanes) * 2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producer = StartDecoding(images, preprocessing, everyFace, queue.Writer, stop.Token);
        var batch = new PendingBatch(session, batchSize, flipTta ? 2 : 1);
        try
        {
            await foreach (Task<Decoded> pending in queue.Reader.ReadAllAsync(stop.Token))
            {
                // ReadAllAsync checks the token only when the queue is empty; stop before the next decoded image.
                cancellationToken.ThrowIfCancellationRequested();
                Decoded decoded = await pending;
                foreach (FeaturizedImage done in Accept(decoded, batch))
                {
                    yield return done;
                }
            }

            foreach (FeaturizedImage done in batch.Run())
            {
                yield return done;
            }

            await producer;
        }
        finally
        {
            await stop.CancelAsync();
            await DrainAsync(producer, queue.Reader);
        }
    }

    /// <summary>
    /// Waits for every decoding started (a batch-1 backbone runs inside them) before the caller may dispose the
    /// sessions: a worker still inside a native Run on a disposed session crashes the process (SIGSEGV after SIGTERM).
    /// Their results and failures belong to a run that is being abandoned.
    /// </summary>
    private static async Task DrainAsync(Task producer, ChannelReader<Task<Decoded>> queue)
    {
        await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (queue.TryRead(out Task<Decoded>? pending))
        {
            await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Adds one decoded image to the batch and yields what is ready, in input order; a full batch runs at once.</summary>
    private static IEnumerable<FeaturizedImage> Accept(Decoded decoded, PendingBatch batch)
    {
        if (decoded.Failure is not null)
        {
            // Keep input order: a failure waits for the images decoded before it.
            foreach (FeaturizedImage done in batch.Run())
            {
                yield return done;
            }

            yield return new FeaturizedImage(decoded.Image, decoded.Sha256, null, decoded.Failure, Crop: decoded.Thumbnail, NoFace: decoded.NoFace);
            yield break;
        }

        foreach (Prepared face in decoded.Faces)
        {
            if (face.Features is not null)
            {
                // Run by the decoding worker (a session with several lanes); nothing is ever batched then.
                yield return new FeaturizedImage(decoded.Image, decoded.Sha256, face.Features, null, face.Index, face.Face, face.Crop);
            }
            else if (batch.Add(decoded, face))
            {
                foreach (FeaturizedImage done in batch.Run())
                {
                    yield return done;
                }
            }
        }
    }

    /// <summary>
    /// Starts decoding every image on the thread pool, in input order, into <paramref name="queue"/> (which it
    /// completes when done, failed or cancelled); the bounded queue holds decoding back when inference lags.
    /// </summary>
    private Task StartDecoding(IReadOnlyList<HashedImage> images, Preprocessing preprocessing, bool everyFace, ChannelWriter<Task<Decoded>> queue, CancellationToken stop) =>
        Task.Run(
            async () =>
            {
                try
                {
                    foreach ((LabelledImage image, string? sha256) in images)
                    {
                        Task<Decoded> decoding = Task.Run(() => Decode(image, sha256, preprocessing, everyFace), stop);
                        try
                        {
                            await queue.WriteAsync(decoding, stop);
                        }
                        catch (OperationCanceledException)
                        {
                            // Not queued, so nobody else waits for it; it may be inside the backbone.
                            await ((Task)decoding).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                            throw;
                        }
                    }
                }
                finally
                {
                    queue.Complete();
                }
            },
            stop);

    private Decoded Decode(LabelledImage image, string? expectedSha256, Preprocessing preprocessing, bool everyFace)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(image.FullPath);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return Decoded.Failed(image, string.Empty, $"cannot read file ({error.Message})");
        }

        string sha256 = ContentHash.Of(bytes);
        if (expectedSha256 is not null && sha256 != expectedSha256)
        {
            return Decoded.Failed(image, sha256, "file changed while extracting; run again");
        }

        try
        {
            if (faces is null)
            {
                byte[] rgb = decoder.DecodeResized(bytes, preprocessing);
                (float[] tensor, float[]? mirror) = Tensors(rgb, preprocessing, preprocessing.WidthPx, preprocessing.HeightPx, flipTta);
                return RunInWorker(new Decoded(image, sha256, [new Prepared(0, tensor, null, new FaceCrop(rgb, preprocessing.WidthPx, preprocessing.HeightPx), mirror)], null, null, false));
            }

            Decoded result;
            using (Image<Rgb24> decoded = decoder.Decode(bytes))
            {
                result = DecodeFaces(image, sha256, decoded, preprocessing, faces, everyFace, flipTta);
            }

            result = RunInWorker(result);

            // The whole image as stage none would feed it, for the contact sheets (rare: only images without a face).
            return result.NoFace
                ? result with { Thumbnail = new FaceCrop(decoder.DecodeResized(bytes, preprocessing), preprocessing.WidthPx, preprocessing.HeightPx) }
                : result;
        }
        catch (ImageDecodeException error)
        {
            return Decoded.Failed(image, sha256, error.Message);
        }
    }

    /// <summary>With several lanes, runs the backbone on each prepared face here, on the worker's thread.</summary>
    private Decoded RunInWorker(Decoded decoded)
    {
        if (session.Lanes == 1 || decoded.Faces.Count == 0)
        {
            return decoded;
        }

        var done = new List<Prepared>(decoded.Faces.Count);
        foreach (Prepared face in decoded.Faces)
        {
            var features = new float[session.FeatureLength];
            session.Run(face.Tensor, 1, features);
            if (face.Mirror is not null)
            {
                var mirrored = new float[session.FeatureLength];
                session.Run(face.Mirror, 1, mirrored);
                FlipAugmentation.Combine(features, mirrored, session.Backbone.Identity.Normalize);
            }

            done.Add(face with { Features = features });
        }

        return decoded with { Faces = done };
    }

    /// <summary>The backbone's input tensor of <paramref name="rgb"/>, and with <paramref name="flipTta"/> that of its mirror.</summary>
    private static (float[] Tensor, float[]? Mirror) Tensors(byte[] rgb, Preprocessing preprocessing, int widthPx, int heightPx, bool flipTta)
    {
        var tensor = new float[preprocessing.TensorLength];
        TensorFiller.Fill(rgb, preprocessing, tensor);
        if (!flipTta)
        {
            return (tensor, null);
        }

        var mirror = new float[preprocessing.TensorLength];
        TensorFiller.Fill(FlipAugmentation.Mirror(rgb, widthPx, heightPx), preprocessing, mirror);
        return (tensor, mirror);
    }

    private static Decoded DecodeFaces(LabelledImage image, string sha256, Image<Rgb24> decoded, Preprocessing preprocessing, FaceStageSession faces, bool everyFace, bool flipTta)
    {
        IReadOnlyList<DetectedFace> found = faces.Detect(decoded);
        DetectedFace? kept = FaceSelection.Largest(found, decoded.Width, decoded.Height);
        if (kept is null)
        {
            return new Decoded(image, sha256, [], faces.NoFaceReason, null, true);
        }

        // The kept face first, then the others largest first: face 0 is always the one Extract caches.
        IEnumerable<DetectedFace> chosen = everyFace
            ? found.Where(f => !ReferenceEquals(f, kept)).OrderByDescending(f => FaceSelection.VisibleArea(f.Box, decoded.Width, decoded.Height)).Prepend(kept)
            : [kept];
        var prepared = new List<Prepared>();
        foreach (DetectedFace face in chosen)
        {
            using Image<Rgb24> aligned = FaceAligner.Align(decoded, face, faces.Geometry);
            var rgb = new byte[preprocessing.TensorLength];
            aligned.CopyPixelDataTo(rgb);
            (float[] tensor, float[]? mirror) = Tensors(rgb, preprocessing, aligned.Width, aligned.Height, flipTta);
            prepared.Add(new Prepared(prepared.Count, tensor, face, new FaceCrop(rgb, aligned.Width, aligned.Height), mirror));
        }

        return new Decoded(image, sha256, prepared, null, null, false);
    }

    /// <summary>One face (or the whole image) ready for the backbone, with its mirror's tensor under flip test-time augmentation.</summary>
    private sealed record Prepared(int Index, float[] Tensor, DetectedFace? Face, FaceCrop Crop, float[]? Mirror = null, float[]? Features = null);

    private sealed record Decoded(LabelledImage Image, string Sha256, List<Prepared> Faces, string? Failure, FaceCrop? Thumbnail, bool NoFace)
    {
        public static Decoded Failed(LabelledImage image, string sha256, string failure) => new(image, sha256, [], failure, null, false);
    }

    /// <summary>Faces waiting for one backbone call, their tensors (each face's <c>views</c>: itself, then its mirror) packed side by side.</summary>
    private sealed class PendingBatch
    {
        private readonly BackboneSession session;
        private readonly int capacity;
        private readonly int views;
        private readonly int tensorLength;
        private readonly int featureLength;
        private readonly float[] tensors;
        private readonly float[] features;
        private readonly List<(Decoded Image, Prepared Face)> items;

        public PendingBatch(BackboneSession session, int capacity, int views)
        {
            this.session = session;
            this.capacity = capacity;
            this.views = views;
            tensorLength = session.Backbone.Preprocessing.TensorLength;
            featureLength = session.FeatureLength;
            tensors = new float[capacity * views * tensorLength];
            features = new float[capacity * views * featureLength];
            items = new List<(Decoded Image, Prepared Face)>(capacity);
        }

        /// <summary>Queues one face; true when the batch is now full.</summary>
        public bool Add(Decoded image, Prepared face)
        {
            face.Tensor.CopyTo(tensors, items.Count * views * tensorLength);
            face.Mirror?.CopyTo(tensors, ((items.Count * views) + 1) * tensorLength);
            items.Add((image, face));
            return items.Count == capacity;
        }

        /// <summary>Runs the backbone over the queued faces (none: no call) and empties the batch.</summary>
        public List<FeaturizedImage> Run()
        {
            var results = new List<FeaturizedImage>(items.Count);
            if (items.Count == 0)
            {
                return results;
            }

            session.Run(tensors, items.Count * views, features);
            for (int i = 0; i < items.Count; i++)
            {
                (Decoded image, Prepared face) = items[i];
                float[] own = features.AsSpan(i * views * featureLength, featureLength).ToArray();
                if (views == 2)
                {
                    FlipAugmentation.Combine(own, features.AsSpan(((i * views) + 1) * featureLength, featureLength), session.Backbone.Identity.Normalize);
                }

                results.Add(new FeaturizedImage(image.Image, image.Sha256, own, null, face.Index, face.Face, face.Crop));
            }

            items.Clear();
            return results;
        }
    }
}
