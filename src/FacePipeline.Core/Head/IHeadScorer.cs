namespace FacePipeline.Head;

/// <summary>
/// A fitted head as a function: feature vectors in, one score per class out, on the head's own scale (softmax
/// probabilities for the mlp, cosine similarities for prototypes). Higher is more alike.
/// </summary>
public interface IHeadScorer : IDisposable
{
    /// <summary>Number of classes.</summary>
    int Classes { get; }

    /// <summary>Features per row.</summary>
    int InputSize { get; }

    /// <summary>Scores of <paramref name="count"/> feature vectors stored back to back, as a row-major count × classes array.</summary>
    float[] Scores(ReadOnlySpan<float> features, int count);
}
