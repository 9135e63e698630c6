namespace FacePipeline.Head;

/// <summary>One epoch of training history: mean training loss/accuracy and, when a validation set exists, its loss/accuracy.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean cross-entropy over the training batches of this epoch.</param>
/// <param name="Accuracy">Training accuracy (0–1) measured during the epoch.</param>
/// <param name="ValLoss">Validation cross-entropy after the epoch, or null without a validation set.</param>
/// <param name="ValAccuracy">Validation accuracy (0–1) after the epoch, or null without a validation set.</param>
/// <param name="Seconds">Wall-clock seconds the epoch took, validation included.</param>
public sealed record EpochRecord(int Epoch, double Loss, double Accuracy, double? ValLoss, double? ValAccuracy, double Seconds);
