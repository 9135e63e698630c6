namespace FacePipeline.Head;

/// <summary>
/// How the head's kind was chosen: the kind asked for, the kind kept, and each fitted kind's validation figures
/// (null for a kind not fitted). Recorded in head.json.
/// </summary>
/// <param name="Requested">The <c>--head</c> given.</param>
/// <param name="Chosen">The kind written.</param>
/// <param name="Mlp">The mlp's validation figures, or null.</param>
/// <param name="Prototype">The prototypes' (fitted on the training rows only) validation figures, or null.</param>
/// <param name="Rule">Why <paramref name="Chosen"/> was kept, in words.</param>
/// <param name="MlpEpochsRun">Epochs the mlp ran (fewer than asked when auto's time budget cut it), or null.</param>
/// <param name="MlpCutByBudget">Whether auto's time budget stopped the mlp before its epochs were done.</param>
public sealed record HeadSelection(
    HeadKind Requested,
    HeadKind Chosen,
    KindFigures? Mlp,
    KindFigures? Prototype,
    string Rule,
    int? MlpEpochsRun = null,
    bool MlpCutByBudget = false);
