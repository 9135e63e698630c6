using FacePipeline.Faces;
using FacePipeline.Features;

namespace FacePipeline.Head;

/// <summary>
/// A loaded head of either kind: turns feature vectors into one score per class on the head's scale (mlp: softmax
/// probabilities, computed stably by subtracting the maximum; prototype: cosine similarities). The label map, kind and
/// threshold come from the head folder, never from flags.
/// </summary>
public sealed class HeadClassifier : IDisposable
{
    private readonly IHeadScorer scorer;

    private HeadClassifier(string folder, HeadDescription description, IReadOnlyList<string> labels, IHeadScorer scorer)
    {
        Folder = folder;
        Description = description;
        Labels = labels;
        this.scorer = scorer;
    }

    /// <summary>The head folder.</summary>
    public string Folder { get; }

    /// <summary>head.json.</summary>
    public HeadDescription Description { get; }

    /// <summary>Labels in class-index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The head's kind (heads from before head kinds are mlp).</summary>
    public HeadKind Kind => Description.Architecture.Kind == HeadDescriptionBuilder.PrototypeKind ? HeadKind.Prototype : HeadKind.Mlp;

    /// <summary>What a score is, in words: top-1 probability (0–1) or cosine (−1–1).</summary>
    public string ScoreName => Kind == HeadKind.Prototype ? "cosine" : "top-1 probability";

    /// <summary>The lowest score there is: 0 for probabilities, −1 for cosines.</summary>
    public double LowestScore => Kind == HeadKind.Prototype ? -1 : 0;

    /// <summary>Loads a head folder (CPU) as one consistent version (<see cref="HeadFolderReader"/>): the weights or prototypes come from the bytes whose hash was checked.</summary>
    /// <exception cref="FacePipelineException">Missing, incomplete or incompatible folder.</exception>
    public static HeadClassifier Load(string folder)
    {
        HeadSnapshot head = HeadFolderReader.Read(folder);
        HeadDescription description = head.Description;
        string weightsPath = Path.Combine(folder, description.WeightsFile);
        if (description.Architecture.Kind == HeadDescriptionBuilder.PrototypeKind)
        {
            float[] prototypes = HeadFolder.ReadPrototypes(head.Weights, weightsPath, head.Labels.Count, description.Architecture.InputSize);
            return new HeadClassifier(folder, description, head.Labels, new PrototypeScorer(prototypes, description.Architecture.InputSize));
        }

        var model = new HeadModel(description.Architecture.InputSize, head.Labels.Count, description.Architecture.Dropout);
        try
        {
            using var weights = new MemoryStream(head.Weights, writable: false);
            model.load(weights);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or IOException)
        {
            model.Dispose();
            throw new FacePipelineException($"{weightsPath}: cannot load head weights ({error.Message})", error);
        }

        return new HeadClassifier(folder, description, head.Labels, new MlpScorer(model, description.Architecture.InputSize, head.Labels.Count));
    }

    /// <summary>Refuses features of any backbone or face stage other than those the head was trained on.</summary>
    /// <exception cref="FacePipelineException">The identities differ; the message names both.</exception>
    public void EnsureFeatures(FeatureIdentity features, string source)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Compare(Description.Features) is FeatureIdentityMismatch mismatch)
        {
            FaceStage trained = Description.Features.FaceStage;
            string extract = trained.FlipTta == features.FaceStage.FlipTta
                ? $"--faces {(trained.Detects ? "detect" : "none")}"
                : $"--faces {(trained.Detects ? "detect" : "none")} --flip-tta {(trained.FlipTta ? "on" : "off")}";
            string remedy = mismatch.InFaceStage
                ? $"re-run Extract with {extract} into another --out folder, or train a head on this cache"
                : "use the backbone the head names (--model) or a cache extracted with it";
            throw new FacePipelineException(mismatch.Message(source, "features were", $"head {Folder} was trained", remedy));
        }
    }

    /// <summary>
    /// Scores (probabilities or cosines, see <see cref="ScoreName"/>) for <paramref name="count"/> feature vectors
    /// stored back to back, as a row-major count × classes array.
    /// </summary>
    public float[] Scores(ReadOnlySpan<float> features, int count) => scorer.Scores(features, count);

    /// <inheritdoc />
    public void Dispose() => scorer.Dispose();
}
