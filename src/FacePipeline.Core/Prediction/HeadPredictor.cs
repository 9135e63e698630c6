using System.Runtime.CompilerServices;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Faces;
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

        // The head records the face stage too; the backbone file itself carries none.
        if (!(backbone.Identity with { FaceStage = head.Description.Backbone.FaceStage, FlipTta = head.Description.Backbone.FlipTta }).Matches(head.Description.Backbone))
        {
            string what = backbone.Identity.ModelSha256 != head.Description.Backbone.ModelSha256
                ? $"has SHA-256 {backbone.Identity.ModelSha256}, but head {head.Folder} was trained with {head.Description.Backbone.ModelSha256}"
                : $"is described as {backbone.Identity}, but head {head.Folder} was trained on {head.Description.Backbone}";
            throw new HeadException($"{backbone.ModelPath}: model {what}; use --model to point at the right file");
        }

        return backbone;
    }

    /// <summary>
    /// Predicts images in input order through the head's face stage (<paramref name="faces"/>, null for whole images);
    /// skipped images come back with a failure reason and no prediction, images without a face with a
    /// <see cref="FacePrediction.NoFace"/> prediction.
    /// </summary>
    /// <param name="head">The head.</param>
    /// <param name="session">The head's backbone.</param>
    /// <param name="images">The images.</param>
    /// <param name="batchSize">Faces per backbone run.</param>
    /// <param name="topK">Labels kept per face.</param>
    /// <param name="unknownThreshold">Top-1 probability below which a face is unknown, or null.</param>
    /// <param name="faces">The face stage the head was trained with, open; null for whole images.</param>
    /// <param name="everyFace">One prediction per face found (the kept face first) instead of the face Extract keeps.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="HeadException">The head was trained on another backbone or face stage.</exception>
    public static async IAsyncEnumerable<(LabelledImage Image, FacePrediction? FacePrediction, string? Failure, FeaturizedImage Result)> PredictImagesAsync(
        HeadClassifier head,
        BackboneSession session,
        IReadOnlyList<LabelledImage> images,
        int batchSize,
        int topK,
        double? unknownThreshold,
        FaceStageSession? faces = null,
        bool everyFace = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The head records whether its features averaged each face with its mirror; Predict makes them the same way.
        var featurizer = new ImageFeaturizer(session, faces, head.Description.Backbone.FlipTta == BackboneIdentity.FlipTtaOn);
        head.EnsureBackbone(featurizer.Identity, session.Backbone.ModelPath);
        var inputs = images.Select(image => new HashedImage(image, null)).ToList();
        await foreach (FeaturizedImage result in featurizer.FeaturizeAsync(inputs, batchSize, everyFace, cancellationToken))
        {
            if (result.NoFace)
            {
                yield return (result.Image, new FacePrediction(result.Image.Path, PredictionRanker.NoFaceLabel, 0, [], NoFace: true), null, result);
                continue;
            }

            if (result.Features is null)
            {
                yield return (result.Image, null, result.Failure, result);
                continue;
            }

            float[] probabilities = head.Scores(result.Features, 1);
            FacePrediction ranked = PredictionRanker.Rank(result.Image.Path, probabilities, head.Labels, topK, unknownThreshold) with
            {
                FaceIndex = result.FaceIndex,
                Face = result.Face,
            };
            yield return (result.Image, ranked, null, result);
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

            float[] probabilities = batch.Count > 0 ? head.Scores(features, batch.Count) : [];
            int classes = head.Labels.Count;
            var scored = batch.Select((row, i) => (row, PredictionRanker.Rank(row.Path, probabilities.AsSpan(i * classes, classes), head.Labels, topK, null))).ToList();
            batch.Clear();
            return scored;
        }
    }
}
