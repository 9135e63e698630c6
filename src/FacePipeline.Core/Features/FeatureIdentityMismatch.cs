namespace FacePipeline.Features;

/// <summary>
/// How two feature identities differ (<see cref="FeatureIdentity.Compare"/>), and the one message format every reader
/// refuses them with.
/// </summary>
/// <param name="InFaceStage">True when only the face stage differs; false when the backbone does.</param>
/// <param name="Actual">The features' side, in words (the face stage's short form, or the whole identity).</param>
/// <param name="Expected">The other side, in words.</param>
public sealed record FeatureIdentityMismatch(bool InFaceStage, string Actual, string Expected)
{
    /// <summary>What differs: <c>face stage</c> or <c>backbone</c>.</summary>
    public string Aspect => InFaceStage ? "face stage" : "backbone";

    /// <summary>
    /// The one line: <c>SUBJECT: HOLDER made with ASPECT ACTUAL, but OTHER with EXPECTED; REMEDY</c>, e.g.
    /// <c>cache/part-b.parquet: made with face stage none, but part-a.parquet with detect (blazeface-front, generic); …</c>.
    /// </summary>
    /// <param name="subject">The file or folder the features come from.</param>
    /// <param name="holder">Who made the features at hand, as a sentence start (<c>features were</c>), or empty.</param>
    /// <param name="other">Who holds the expected identity (<c>head H was trained</c>, <c>part-a.parquet</c>).</param>
    /// <param name="remedy">What to do.</param>
    public string Message(string subject, string holder, string other, string remedy) => $"{subject}: {Problem(holder, other, remedy)}";

    /// <summary>The line without its subject, for a report that lists the subject apart (<c>verify</c>).</summary>
    public string Problem(string holder, string other, string remedy)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return $"{(holder.Length == 0 ? string.Empty : holder + " ")}made with {Aspect} {Actual}, but {other} with {Expected}; {remedy}";
    }
}
