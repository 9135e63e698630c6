namespace FacePipeline.Head;

/// <summary>Which head TrainHead fits (<c>--head</c>).</summary>
public enum HeadKind
{
    /// <summary>Fit both kinds on the training rows, keep the one that validates better (macro recall, then accuracy; a tie keeps <see cref="Mlp"/>).</summary>
    Auto,

    /// <summary>The seed's Dense(1024) → Dense(256) → Dense(N, softmax) head; its score is the top-1 probability.</summary>
    Mlp,

    /// <summary>One normalised mean embedding per person; its score is the cosine similarity to the best prototype.</summary>
    Prototype,
}
