namespace FacePipeline.Evaluation;

/// <summary>The bars a scheduled evaluation must clear (exit 3 otherwise).</summary>
/// <param name="MinAccuracy">Lowest accuracy allowed, or null.</param>
/// <param name="MaxFar">Highest share of strangers that may get a name, or null.</param>
public sealed record EvaluationBars(double? MinAccuracy, double? MaxFar);
