using FacePipeline.Faces;

namespace FacePipeline.Extraction;

/// <summary>The concrete face stage of an extraction and why it was chosen.</summary>
/// <param name="Stage">The stage (never "auto").</param>
/// <param name="Detector">The detector of a detecting stage, else null.</param>
/// <param name="Note">One line for people explaining an automatic choice, or null when the stage was asked for.</param>
public sealed record FaceStageChoice(FaceStage Stage, FaceDetector? Detector, string? Note);
