using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Head;

namespace FacePipeline.Prediction;

/// <summary>The outcome of predicting an image set: the predictions in input order and the images that were skipped.</summary>
/// <param name="Predictions">One per readable image.</param>
/// <param name="Failures">The images that could not be read, and why.</param>
public sealed record PredictionRun(IReadOnlyList<FacePrediction> Predictions, IReadOnlyList<ImageFailure> Failures)
{
    /// <summary>Predicts every image of <paramref name="images"/> with <paramref name="head"/> after <paramref name="session"/>.</summary>
    /// <param name="head">The head.</param>
    /// <param name="session">The head's backbone.</param>
    /// <param name="images">The images, in output order.</param>
    /// <param name="batchSize">Images per backbone run.</param>
    /// <param name="topK">Labels kept per image.</param>
    /// <param name="unknownThreshold">Top-1 probability below which a face is unknown, or null.</param>
    /// <param name="onImage">Called after each image with (done, failed) counts, and the failure when it was skipped.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static async Task<PredictionRun> PredictAsync(
        HeadClassifier head,
        BackboneSession session,
        IReadOnlyList<LabelledImage> images,
        int batchSize,
        int topK,
        double? unknownThreshold,
        Action<int, int, ImageFailure?>? onImage = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var predictions = new List<FacePrediction>();
        var failures = new List<ImageFailure>();
        await foreach ((LabelledImage image, FacePrediction? prediction, string? failure) in HeadPredictor.PredictImagesAsync(
            head, session, images, batchSize, topK, unknownThreshold, cancellationToken))
        {
            ImageFailure? skipped = null;
            if (prediction is null)
            {
                skipped = new ImageFailure(image.Path, failure!);
                failures.Add(skipped);
            }
            else
            {
                predictions.Add(prediction);
            }

            onImage?.Invoke(predictions.Count + failures.Count, failures.Count, skipped);
        }

        return new PredictionRun(predictions, failures);
    }
}
