using System.Runtime.CompilerServices;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.FeatureCache;
using FacePipeline.Head;

namespace FacePipeline.Prediction;

/// <summary>
/// Chains backbone and head: finds the backbone a head was trained on, refuses any other, and predicts images (through
/// the same <see cref="ImageFeaturizer"/> as extraction) or cached feature rows.
/// </summary>
public static class HeadPredictor
{
    /// <summary>Rows per head call when scoring a cache.</summary>
    private const int CacheBatchRows = 256;

    /// <summary>
    /// The backbone named by the head: <paramref name="model"/> when given, else the head's backbone name looked up in
    /// the catalog. Its model file must have the SHA-256 (and preprocessing) the head was trained with.
    /// </summary>
    /// <exception cref="HeadException">The backbone found differs from the head's.</exception>
    public static Backbone ResolveBackbone(HeadClassifier head, string? model, BackboneCatalog catalog)
    {
        Backbone backbone;
        try
        {
            backbone = catalog.Resolve(model ?? head.Description.Backbone.Name, out _);
        }
        catch (BackboneException error)
        {
            throw new HeadException($"{error.Message} (head {head.Folder} needs backbone {head.Description.Backbone}; point --model at its .onnx file)", error);
        }

        if (!backbone.Identity.Matches(head.Description.Backbone))
        {
            string what = backbone.Identity.ModelSha256 != head.Description.Backbone.ModelSha256
                ? $"has SHA-256 {backbone.Identity.ModelSha256}, but head {head.Folder} was trained with {head.Description.Backbone.ModelSha256}"
                : $"is described as {backbone.Identity}, but head {head.Folder} was trained on {head.Description.Backbone}";
            throw new HeadException($"{backbone.ModelPath}: model {what}; use --model to point at the right file");
        }

        return backbone;
    }

    /// <summary>Predicts images in input order; skipped images come back with a failure reason and no prediction.</summary>
    public static async IAsyncEnumerable<(LabelledImage Image, FacePrediction? FacePrediction, string? Failure)> PredictImagesAsync(
        HeadClassifier head,
        BackboneSession session,
        IReadOnlyList<LabelledImage> images,
        int batchSize,
        int topK,
        double? unknownThreshold,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        head.EnsureBackbone(session.Backbone.Identity, session.Backbone.ModelPath);
        var featurizer = new ImageFeaturizer(session);
        var inputs = images.Select(image => new HashedImage(image, null)).ToList();
        await foreach (FeaturizedImage result in featurizer.FeaturizeAsync(inputs, batchSize, cancellationToken))
        {
            if (result.Features is null)
            {
                yield return (result.Image, null, result.Failure);
                continue;
            }

            float[] probabilities = head.Probabilities(result.Features, 1);
            yield return (result.Image, PredictionRanker.Rank(result.Image.Path, probabilities, head.Labels, topK, unknownThreshold), null);
        }
    }

    /// <summary>Predicts the rows of a feature cache (optionally only one split), with their true labels.</summary>
    /// <exception cref="HeadException">The cache comes from another backbone than the head's.</exception>
    public static async IAsyncEnumerable<(FeatureRow Row, FacePrediction FacePrediction)> PredictCacheAsync(
        HeadClassifier head,
        string cacheFolder,
        string? split,
        int topK,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(cacheFolder, cancellationToken: cancellationToken);
        BackboneIdentity identity = reader.Identity ?? throw new FeatureCacheException($"{cacheFolder}: the cache holds no rows");
        head.EnsureBackbone(identity, cacheFolder);
        int length = identity.FeatureLength;
        var batch = new List<FeatureRow>(CacheBatchRows);
        await foreach (FeatureRow row in reader.ReadRowsAsync(cancellationToken))
        {
            if (!DatasetSplit.Matches(row.Split, split))
            {
                continue;
            }

            batch.Add(row);
            if (batch.Count == CacheBatchRows)
            {
                foreach ((FeatureRow, FacePrediction) scored in Score())
                {
                    yield return scored;
                }
            }
        }

        foreach ((FeatureRow, FacePrediction) scored in Score())
        {
            yield return scored;
        }

        List<(FeatureRow, FacePrediction)> Score()
        {
            var features = new float[batch.Count * length];
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Features.CopyTo(features, i * length);
            }

            float[] probabilities = batch.Count > 0 ? head.Probabilities(features, batch.Count) : [];
            int classes = head.Labels.Count;
            var scored = batch.Select((row, i) => (row, PredictionRanker.Rank(row.Path, probabilities.AsSpan(i * classes, classes), head.Labels, topK, null))).ToList();
            batch.Clear();
            return scored;
        }
    }
}
