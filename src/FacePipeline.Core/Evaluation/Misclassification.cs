namespace FacePipeline.Evaluation;

/// <summary>One evaluated sample whose top-1 prediction differs from its true label.</summary>
/// <param name="Path">The sample's image path, as the dataset lists it.</param>
/// <param name="TrueLabel">The label the sample carries.</param>
/// <param name="PredictedLabel">The top-1 predicted label.</param>
/// <param name="Confidence">Probability (0–1) the model gave <paramref name="PredictedLabel"/>.</param>
public sealed record Misclassification(string Path, string TrueLabel, string PredictedLabel, double Confidence);
