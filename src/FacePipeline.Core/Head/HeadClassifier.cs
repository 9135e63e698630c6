using FacePipeline.Backbones;

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
    /// <exception cref="HeadException">Missing, incomplete or incompatible folder.</exception>
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
            throw new HeadException($"{weightsPath}: cannot load head weights ({error.Message})", error);
        }

        return new HeadClassifier(folder, description, head.Labels, new MlpScorer(model, description.Architecture.InputSize, head.Labels.Count));
    }

    /// <summary>Refuses features from any backbone other than the one the head was trained on.</summary>
    /// <exception cref="HeadException">The identities differ; the message names both.</exception>
    public void EnsureBackbone(BackboneIdentity features, string source)
    {
        if (Description.Backbone.DiffersOnlyInFaceStage(features))
        {
            throw new HeadException(
                $"{source}: features were made with face stage {Faces.FaceStage.ShortOf(features.FaceStage)}, but head {Folder} was trained with face stage "
                + $"{Faces.FaceStage.ShortOf(Description.Backbone.FaceStage)}; re-run Extract with --faces {(Description.Backbone.FaceStage == Faces.FaceStage.NoneIdentity ? "none" : "detect")} into another --out folder, or train a head on this cache");
        }

        if (Description.Backbone.DiffersOnlyInFlipTta(features))
        {
            throw new HeadException(
                $"{source}: features were made with --flip-tta {features.FlipTta}, but head {Folder} was trained with --flip-tta {Description.Backbone.FlipTta}; "
                + $"re-run Extract with --flip-tta {Description.Backbone.FlipTta} into another --out folder, or train a head on this cache");
        }

        if (!Description.Backbone.Matches(features))
        {
            throw new HeadException(
                $"{source}: features come from backbone {features}, but head {Folder} was trained on {Description.Backbone}; "
                + "use the backbone the head names (--model) or a cache extracted with it");
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
