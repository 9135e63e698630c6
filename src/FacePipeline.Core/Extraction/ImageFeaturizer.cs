using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Imaging;

namespace FacePipeline.Extraction;

/// <summary>
/// The one path from image files to features, shared by extraction and prediction: read bytes, hash, decode,
/// resize, <see cref="TensorFiller"/>, batched backbone inference. Decoding runs ahead of inference on the thread
/// pool through a bounded queue (twice the batch size), so memory stays flat for any number of images. Results come
/// back in input order.
/// </summary>
public sealed class ImageFeaturizer
{
    private readonly BackboneSession session;
    private readonly ImageDecoder decoder = new();

    /// <summary>Creates a featurizer over an open session.</summary>
    public ImageFeaturizer(BackboneSession session)
    {
        this.session = session;
    }

    /// <summary>Featurizes <paramref name="images"/>.</summary>
    /// <param name="images">Images, each with the SHA-256 its bytes must still have (or null to accept any bytes).</param>
    /// <param name="batchSize">Images per inference call.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async IAsyncEnumerable<FeaturizedImage> FeaturizeAsync(
        IReadOnlyList<HashedImage> images,
        int batchSize,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Preprocessing preprocessing = session.Backbone.Preprocessing;
        int tensorLength = preprocessing.TensorLength;
        int featureLength = session.FeatureLength;
        var queue = Channel.CreateBounded<Task<Decoded>>(new BoundedChannelOptions(batchSize * 2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producer = Task.Run(
            async () =>
            {
                try
                {
                    foreach ((LabelledImage image, string? sha256) in images)
                    {
                        await queue.Writer.WriteAsync(Task.Run(() => Decode(image, sha256, preprocessing), stop.Token), stop.Token);
                    }
                }
                finally
                {
                    queue.Writer.Complete();
                }
            },
            stop.Token);

        var tensors = new float[batchSize * tensorLength];
        var features = new float[batchSize * featureLength];
        var batch = new List<Decoded>(batchSize);
        try
        {
            await foreach (Task<Decoded> pending in queue.Reader.ReadAllAsync(stop.Token))
            {
                // ReadAllAsync checks the token only when the queue is empty; stop before the next decoded image.
                cancellationToken.ThrowIfCancellationRequested();
                Decoded decoded = await pending;
                if (decoded.Failure is not null)
                {
                    // Keep input order: a failure waits for the images decoded before it.
                    foreach (FeaturizedImage done in RunBatch())
                    {
                        yield return done;
                    }

                    yield return new FeaturizedImage(decoded.Image, decoded.Sha256, null, decoded.Failure);
                    continue;
                }

                decoded.Tensor.CopyTo(tensors, batch.Count * tensorLength);
                batch.Add(decoded);
                if (batch.Count == batchSize)
                {
                    foreach (FeaturizedImage done in RunBatch())
                    {
                        yield return done;
                    }
                }
            }

            foreach (FeaturizedImage done in RunBatch())
            {
                yield return done;
            }

            await producer;
        }
        finally
        {
            await stop.CancelAsync();
        }

        List<FeaturizedImage> RunBatch()
        {
            var results = new List<FeaturizedImage>(batch.Count);
            if (batch.Count == 0)
            {
                return results;
            }

            session.Run(tensors, batch.Count, features);
            for (int i = 0; i < batch.Count; i++)
            {
                results.Add(new FeaturizedImage(batch[i].Image, batch[i].Sha256, features.AsSpan(i * featureLength, featureLength).ToArray(), null));
            }

            batch.Clear();
            return results;
        }
    }

    private Decoded Decode(LabelledImage image, string? expectedSha256, Preprocessing preprocessing)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(image.FullPath);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return new Decoded(image, string.Empty, [], $"cannot read file ({error.Message})");
        }

        string sha256 = ContentHash.Of(bytes);
        if (expectedSha256 is not null && sha256 != expectedSha256)
        {
            return new Decoded(image, sha256, [], "file changed while extracting; run again");
        }

        try
        {
            byte[] rgb = decoder.DecodeResized(bytes, preprocessing);
            var tensor = new float[preprocessing.TensorLength];
            TensorFiller.Fill(rgb, preprocessing, tensor);
            return new Decoded(image, sha256, tensor, null);
        }
        catch (ImageDecodeException error)
        {
            return new Decoded(image, sha256, [], error.Message);
        }
    }

    private sealed record Decoded(LabelledImage Image, string Sha256, float[] Tensor, string? Failure);
}
