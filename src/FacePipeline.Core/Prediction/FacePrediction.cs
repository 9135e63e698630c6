namespace FacePipeline.Prediction;

/// <summary>One image's answer: the label (or <c>unknown</c>), its confidence and the top-k labels with probabilities.</summary>
/// <param name="Path">The image path as given.</param>
/// <param name="Label">Top-1 label, or <see cref="PredictionRanker.UnknownLabel"/> when below the unknown threshold.</param>
/// <param name="Confidence">Top-1 probability.</param>
/// <param name="Top">Labels and probabilities, best first.</param>
public sealed record FacePrediction(string Path, string Label, double Confidence, IReadOnlyList<(string Label, double Probability)> Top);
