using FacePipeline.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>
/// A loaded head: turns feature vectors into class probabilities (softmax over logits, computed stably by
/// subtracting the maximum). The label map and architecture come from the head folder, never from flags.
/// </summary>
public sealed class HeadClassifier : IDisposable
{
    private readonly HeadModel model;

    private HeadClassifier(string folder, HeadDescription description, IReadOnlyList<string> labels, HeadModel model)
    {
        Folder = folder;
        Description = description;
        Labels = labels;
        this.model = model;
    }

    /// <summary>The head folder.</summary>
    public string Folder { get; }

    /// <summary>head.json.</summary>
    public HeadDescription Description { get; }

    /// <summary>Labels in class-index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Loads a head folder (CPU) as one consistent version (<see cref="HeadFolderReader"/>): the weights come from the bytes whose hash was checked.</summary>
    /// <exception cref="HeadException">Missing, incomplete or incompatible folder.</exception>
    public static HeadClassifier Load(string folder)
    {
        HeadSnapshot head = HeadFolderReader.Read(folder);
        var model = new HeadModel(head.Description.Architecture.InputSize, head.Labels.Count, head.Description.Architecture.Dropout);
        try
        {
            using var weights = new MemoryStream(head.Weights, writable: false);
            model.load(weights);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or IOException)
        {
            model.Dispose();
            throw new HeadException($"{Path.Combine(folder, head.Description.WeightsFile)}: cannot load head weights ({error.Message})", error);
        }

        model.eval();
        return new HeadClassifier(folder, head.Description, head.Labels, model);
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

        if (!Description.Backbone.Matches(features))
        {
            throw new HeadException(
                $"{source}: features come from backbone {features}, but head {Folder} was trained on {Description.Backbone}; "
                + "use the backbone the head names (--model) or a cache extracted with it");
        }
    }

    /// <summary>
    /// Probabilities for <paramref name="count"/> feature vectors stored back to back, as a row-major
    /// count × classes array.
    /// </summary>
    public float[] Probabilities(ReadOnlySpan<float> features, int count)
    {
        int inputSize = Description.Architecture.InputSize;
        if (features.Length != count * inputSize)
        {
            throw new ArgumentException($"expected {count} × {inputSize} features, got {features.Length}", nameof(features));
        }

        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Tensor input = torch.tensor(features.ToArray(), [count, inputSize]);
        return nn.functional.softmax(model.forward(input), 1).data<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => model.Dispose();
}
