namespace FacePipeline.Head;

/// <summary>
/// The unknown threshold calibrated on faces of people who must not be recognised (<c>TrainHead --unknowns</c>).
/// </summary>
/// <param name="Cache">Full path of the strangers' feature cache.</param>
/// <param name="TargetFar">The largest share of those faces that may get a name.</param>
/// <param name="FarReached">The share that does get a name at <paramref name="Threshold"/> (at most the target).</param>
/// <param name="Count">Stranger faces scored.</param>
/// <param name="Accepted">Of those, how many score at or above <paramref name="Threshold"/>.</param>
/// <param name="Threshold">Faces scoring below it are <c>unknown</c>.</param>
/// <param name="TooFew">Fewer than 10 / target faces: the rate reached says little about new strangers.</param>
public sealed record StrangerCalibration(string Cache, double TargetFar, double FarReached, int Count, int Accepted, double Threshold, bool TooFew);
