namespace FacePipeline.Evaluation;

/// <summary>Open-set rates at one threshold.</summary>
/// <param name="Threshold">Faces scoring at or above it get a name.</param>
/// <param name="Dir">Detection and identification rate: share of known faces named correctly at or above the threshold.</param>
/// <param name="Far">False accept rate: share of stranger faces given a name; null without strangers.</param>
public sealed record OpenSetPoint(double Threshold, double? Dir, double? Far);
