using FacePipeline.FeatureCache;
using FacePipeline.Features;

namespace FacePipeline.Head;

/// <summary>
/// Faces of people who must not be recognised (<c>TrainHead --unknowns</c>): every row of their feature cache, whatever
/// its split, checked against the known people's cache before any training.
/// </summary>
public sealed class StrangerFaces
{
    private readonly float[] features;

    private StrangerFaces(string folder, float[] features, int featureLength, int count)
    {
        Folder = folder;
        this.features = features;
        FeatureLength = featureLength;
        Count = count;
    }

    /// <summary>Full path of the cache.</summary>
    public string Folder { get; }

    /// <summary>Features per face.</summary>
    public int FeatureLength { get; }

    /// <summary>Faces.</summary>
    public int Count { get; }

    /// <summary>
    /// What <see cref="LoadAsync"/> will hold for the cache at <paramref name="folder"/>: its rows' features, from the
    /// parts' footers only (TrainHead counts them in the memory budget's fixed part before reading anything).
    /// </summary>
    /// <exception cref="FacePipelineException">Missing, empty or damaged cache.</exception>
    public static async Task<long> BytesAsync(string folder, CancellationToken cancellationToken = default)
    {
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(folder, cancellationToken: cancellationToken);
        return reader.RowCount * IdentityOf(folder, reader).FeatureLength * sizeof(float);
    }

    /// <summary>Reads the strangers' cache at <paramref name="folder"/>.</summary>
    /// <param name="folder">The cache.</param>
    /// <param name="known">The backbone identity (with face stage) of the known people's features.</param>
    /// <param name="knownLabels">The known people's labels.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="FacePipelineException">Another backbone or face stage, or a label shared with the known people.</exception>
    /// <exception cref="FacePipelineException">Missing, empty or damaged cache.</exception>
    public static async Task<StrangerFaces> LoadAsync(string folder, FeatureIdentity known, IReadOnlyCollection<string> knownLabels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(knownLabels);
        string full = Path.GetFullPath(folder);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(folder, cancellationToken: cancellationToken);
        FeatureIdentity identity = IdentityOf(folder, reader);
        EnsureSameFeatures(folder, identity, known);
        var labels = new HashSet<string>(knownLabels, StringComparer.Ordinal);
        // Sized from the footers once (what BytesAsync counted), not grown: a growing list peaks at about three times the rows.
        var features = new float[reader.RowCount * identity.FeatureLength];
        int count = 0;
        await foreach (FeatureRow row in reader.ReadRowsAsync(cancellationToken))
        {
            if (labels.Contains(row.Label))
            {
                throw new FacePipelineException(
                    $"{folder}: label '{row.Label}' ({row.Path}) is also a person the head learns; --unknowns must hold only people the head must not recognise, so remove them from that cache or from the training cache");
            }

            if (count == reader.RowCount)
            {
                throw new FacePipelineException($"{folder}: the cache grew while TrainHead read it; do not write to it while training, then re-run TrainHead");
            }

            row.Features.CopyTo(features.AsSpan(count * identity.FeatureLength, identity.FeatureLength));
            count++;
        }

        return new StrangerFaces(full, features, identity.FeatureLength, count);
    }

    /// <summary>Each face's top-1 score under <paramref name="scorer"/>.</summary>
    public float[] TopScores(IHeadScorer scorer)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        const int chunk = 256;
        var top = new float[Count];
        for (int start = 0; start < Count; start += chunk)
        {
            int n = Math.Min(chunk, Count - start);
            float[] scores = scorer.Scores(features.AsSpan(start * FeatureLength, n * FeatureLength), n);
            for (int i = 0; i < n; i++)
            {
                top[start + i] = ValidationScore.Top(scores.AsSpan(i * scorer.Classes, scorer.Classes)).Score;
            }
        }

        return top;
    }

    private static FeatureIdentity IdentityOf(string folder, FeatureCacheReader reader) =>
        reader.Identity ?? throw new FacePipelineException($"{folder}: the cache holds no rows; run Extract on the strangers' images first");

    private static void EnsureSameFeatures(string folder, FeatureIdentity strangers, FeatureIdentity known)
    {
        if (strangers.Compare(known) is FeatureIdentityMismatch mismatch)
        {
            throw new FacePipelineException(mismatch.Message(
                folder, "the strangers' features were", "the known people's", $"extract both with the same {(mismatch.InFaceStage ? "--faces" : "--model")}"));
        }
    }
}
