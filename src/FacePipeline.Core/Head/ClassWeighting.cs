namespace FacePipeline.Head;

/// <summary>Loss weighting per class.</summary>
public enum ClassWeighting
{
    /// <summary>Every row counts the same.</summary>
    None,

    /// <summary>Weights inversely proportional to class frequency in the training rows (n_rows / (n_classes × n_class)).</summary>
    Balanced,
}
