namespace FacePipeline.Head;

/// <summary>One kind's validation figures.</summary>
/// <param name="MacroRecall">Macro recall on the validation rows.</param>
/// <param name="Accuracy">Accuracy on the validation rows.</param>
/// <param name="Rows">Validation rows.</param>
public sealed record KindFigures(double MacroRecall, double Accuracy, int Rows);
