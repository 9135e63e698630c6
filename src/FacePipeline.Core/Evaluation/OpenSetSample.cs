namespace FacePipeline.Evaluation;

/// <summary>One evaluated face as open-set evaluation sees it.</summary>
/// <param name="Known">Whether its true label is one the head knows (else it is a stranger).</param>
/// <param name="Correct">Whether its top-1 label is its true label.</param>
/// <param name="Score">Its top-1 score on the head's scale.</param>
/// <param name="NoFace">Whether the face stage found no face (then it gets no name whatever the threshold).</param>
public sealed record OpenSetSample(bool Known, bool Correct, double Score, bool NoFace = false);
