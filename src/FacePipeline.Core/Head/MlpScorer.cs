using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>The seed's head as a scorer: softmax probabilities (computed stably from the logits) of a <see cref="HeadModel"/> in eval mode.</summary>
internal sealed class MlpScorer : IHeadScorer
{
    private readonly HeadModel model;

    /// <summary>Takes ownership of <paramref name="model"/>.</summary>
    public MlpScorer(HeadModel model, int inputSize, int classes)
    {
        this.model = model;
        InputSize = inputSize;
        Classes = classes;
        model.eval();
    }

    public int Classes { get; }

    public int InputSize { get; }

    /// <summary>A scorer over freshly loaded <paramref name="weights"/> (copied; the caller keeps its own).</summary>
    public static MlpScorer FromWeights(IReadOnlyDictionary<string, Tensor> weights, int inputSize, int classes)
    {
        var model = new HeadModel(inputSize, classes, 0);
        model.load_state_dict(weights.ToDictionary(p => p.Key, p => p.Value));
        return new MlpScorer(model, inputSize, classes);
    }

    public float[] Scores(ReadOnlySpan<float> features, int count)
    {
        if (features.Length != count * InputSize)
        {
            throw new ArgumentException($"expected {count} × {InputSize} features, got {features.Length}", nameof(features));
        }

        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Tensor input = torch.tensor(features.ToArray(), [count, InputSize]);
        return nn.functional.softmax(model.forward(input), 1).data<float>().ToArray();
    }

    public void Dispose() => model.Dispose();
}
