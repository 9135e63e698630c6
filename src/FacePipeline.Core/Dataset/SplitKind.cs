namespace FacePipeline.Dataset;

/// <summary>What a row's <c>split</c> says: the vocabulary of manifests and caches.</summary>
public enum SplitKind
{
    /// <summary>Empty: the trainer decides (a stratified validation share, the rest training).</summary>
    Unassigned,

    /// <summary><c>train</c>: a training row.</summary>
    Train,

    /// <summary><c>val</c>: a validation row.</summary>
    Val,

    /// <summary><c>test</c>: held out from training, for evaluation.</summary>
    Test,
}
