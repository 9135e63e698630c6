namespace FacePipeline.Evaluation;

/// <summary>Open-set figures of an evaluation at the unknown threshold applied, and the curve over thresholds.</summary>
/// <param name="KnownCount">Faces whose label the head knows.</param>
/// <param name="UnknownCount">Faces of strangers (labels the head does not know).</param>
/// <param name="Threshold">The unknown threshold applied, or null for none (every face gets a name).</param>
/// <param name="Dir">Share of known faces named correctly and at or above the threshold; null without known faces.</param>
/// <param name="Far">Share of stranger faces given a name; null without strangers.</param>
/// <param name="FalseAccepts">Stranger faces given a name.</param>
/// <param name="Curve">DIR and FAR at thresholds over the range of scores, ascending (at most <see cref="OpenSetMetrics.MaxCurvePoints"/>).</param>
public sealed record OpenSetReport(int KnownCount, int UnknownCount, double? Threshold, double? Dir, double? Far, int FalseAccepts, IReadOnlyList<OpenSetPoint> Curve);
