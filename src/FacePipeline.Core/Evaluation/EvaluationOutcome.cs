namespace FacePipeline.Evaluation;

/// <summary>What an evaluation wrote: the closed-set report, the open-set figures and the plots that could not be drawn.</summary>
/// <param name="Report">Closed-set metrics over the known faces.</param>
/// <param name="OpenSet">Open-set figures.</param>
/// <param name="PlotErrors">One line per plot left out of the report, and why.</param>
public sealed record EvaluationOutcome(ClassificationReport Report, OpenSetReport OpenSet, IReadOnlyList<string> PlotErrors);
