namespace FacePipeline.Evaluation;

/// <summary>Precision, recall and F1 of one label, from top-1 predictions (scikit-learn semantics, zero_division = 0).</summary>
/// <param name="Label">The class label.</param>
/// <param name="Support">Number of samples whose true label is <paramref name="Label"/>.</param>
/// <param name="Predicted">Number of samples whose top-1 prediction is <paramref name="Label"/>.</param>
/// <param name="Precision">Correct / <paramref name="Predicted"/>, or 0 when the label was never predicted.</param>
/// <param name="Recall">Correct / <paramref name="Support"/>, or 0 when the label never occurs as a true label.</param>
/// <param name="F1">Harmonic mean of precision and recall: 2·correct / (support + predicted), or 0 when both are 0.</param>
public sealed record ClassMetrics(string Label, int Support, int Predicted, double Precision, double Recall, double F1);
