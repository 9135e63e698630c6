using System.Text;

namespace FacePipeline.Dataset;

/// <summary>
/// The one place for what a label (a person's name) may be, applied wherever labels enter: the image-folder and
/// manifest readers, the feature-cache reader and the head's label map. Labels are trimmed and normalised to Unicode
/// NFC (an NFD "José" from a macOS folder and an NFC one from a manifest are one person); the words the pipeline
/// writes in place of a label are reserved; labels that differ only by case are reported, not merged.
/// </summary>
public static class LabelRules
{
    /// <summary>What Predict writes for an image without a face.</summary>
    public const string NoFace = "no face";

    /// <summary>What Predict writes for a face below the unknown threshold.</summary>
    public const string Unknown = "unknown";

    /// <summary>The labels no person may have, compared without regard to case.</summary>
    public static IReadOnlyList<string> Reserved { get; } = [NoFace, Unknown];

    /// <summary>The label as stored and compared: trimmed, in Unicode NFC.</summary>
    public static string Normalize(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return label.Trim().Normalize(NormalizationForm.FormC);
    }

    /// <summary>Why <paramref name="label"/> (normalised) cannot name a person, or null when it can.</summary>
    public static string? Problem(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        string? reserved = Reserved.FirstOrDefault(r => string.Equals(r, label, StringComparison.OrdinalIgnoreCase));
        return reserved is null ? null
            : $"label '{label}' is reserved (Predict writes '{reserved}' for {(reserved == NoFace ? "an image without a face" : "a face below the unknown threshold")})";
    }

    /// <summary>
    /// One line per group of <paramref name="labels"/> that differ only by case (they stay separate people), e.g.
    /// <c>warning: labels 'Ann', 'ann' differ only by case and count as different people; rename one if they are the same person</c>.
    /// </summary>
    public static IReadOnlyList<string> CaseOnlyWarnings(IEnumerable<string> labels) =>
        labels.Distinct(StringComparer.Ordinal)
            .GroupBy(l => l, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1)
            .Select(g => $"warning: labels {string.Join(", ", g.Order(StringComparer.Ordinal).Select(l => $"'{l}'"))} differ only by case and count as different people; rename one if they are the same person")
            .ToList();
}
