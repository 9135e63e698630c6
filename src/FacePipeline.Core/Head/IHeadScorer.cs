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

    /// <summary>
    /// <see cref="Scores(ReadOnlySpan{float}, int)"/> into <paramref name="destination"/> (at least count × classes
    /// values), so a caller scoring chunk after chunk reuses one buffer: at 20 000 classes a chunk of 256 rows is 20 MB.
    /// </summary>
    void Scores(ReadOnlySpan<float> features, int count, float[] destination) => Scores(features, count).CopyTo(destination, 0);
}
