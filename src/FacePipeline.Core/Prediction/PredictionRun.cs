using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;
using FacePipeline.Head;

namespace FacePipeline.Prediction;

/// <summary>The outcome of predicting an image set: the predictions in input order and the images that were skipped.</summary>
/// <param name="Predictions">One per face found (the face Extract keeps first), or one saying no face was found, per readable image; one per image under face stage <c>none</c>.</param>
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
    /// <param name="faces">The head's face stage, open; null for whole images.</param>
    /// <param name="onImage">Called after each image with (done, failed) counts, and the failure when it was skipped.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static async Task<PredictionRun> PredictAsync(
        HeadClassifier head,
        BackboneSession session,
        IReadOnlyList<LabelledImage> images,
        int batchSize,
        int topK,
        double? unknownThreshold,
        Faces.FaceStageSession? faces = null,
        Action<int, int, ImageFailure?>? onImage = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var predictions = new List<FacePrediction>();
        var failures = new List<ImageFailure>();
        int imagesDone = 0;
        await foreach ((LabelledImage image, FacePrediction? prediction, string? failure, FeaturizedImage _) in HeadPredictor.PredictImagesAsync(
            head, session, images, batchSize, topK, unknownThreshold, faces, everyFace: true, cancellationToken))
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

            if (prediction is null || prediction.FaceIndex == 0)
            {
                // Further faces of an image are not further images.
                imagesDone++;
                onImage?.Invoke(imagesDone, failures.Count, skipped);
            }
        }

        return new PredictionRun(predictions, failures);
    }
}
