namespace FacePipeline.Prediction;

/// <summary>One image's answer: the label (or <c>unknown</c>), its confidence and the top-k labels with probabilities.</summary>
/// <param name="Path">The image path as given.</param>
/// <param name="Label">Top-1 label, or <see cref="PredictionRanker.UnknownLabel"/> when below the unknown threshold.</param>
/// <param name="Confidence">Top-1 probability.</param>
/// <param name="Top">Labels and probabilities, best first.</param>
/// <param name="FaceIndex">Which face of the image (0 = the one Extract keeps), under a detecting face stage.</param>
/// <param name="Face">Where that face is in the image, or null for whole images.</param>
/// <param name="NoFace">Whether the face stage found no face (then <paramref name="Label"/> is <see cref="PredictionRanker.NoFaceLabel"/> and nothing is ranked).</param>
public sealed record FacePrediction(
    string Path,
    string Label,
    double Confidence,
    IReadOnlyList<(string Label, double Probability)> Top,
    int FaceIndex = 0,
    Faces.DetectedFace? Face = null,
    bool NoFace = false);
