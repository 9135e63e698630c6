namespace FacePipeline.Extraction;

/// <summary>What an extraction run did.</summary>
/// <param name="New">Images whose features were computed (new or changed).</param>
/// <param name="Changed">Of those, images already cached with other bytes.</param>
/// <param name="Cached">Images whose cached features were kept.</param>
/// <param name="Removed">Cached rows dropped because their image is gone from the input.</param>
/// <param name="Failures">Images skipped, with reasons.</param>
/// <param name="Device">Where inference ran (<c>cpu</c>, <c>cuda:0</c>), or <c>none</c> when nothing had to be computed.</param>
/// <param name="ComputeSeconds">Seconds spent decoding and running the backbone.</param>
/// <param name="TotalSeconds">Seconds for the whole run.</param>
public sealed record ExtractionSummary(int New, int Changed, int Cached, int Removed, IReadOnlyList<ImageFailure> Failures, string Device, double ComputeSeconds, double TotalSeconds)
{
    /// <summary>Failures where the face stage found no face.</summary>
    public int WithoutFace => Failures.Count(f => f.Reason.StartsWith(Faces.FaceStageSession.NoFacePrefix, StringComparison.Ordinal));

    /// <summary>The one-line report: <c>N new, M cached, K removed, E failed</c>, with <c>(F without a face)</c> when any.</summary>
    public string Line => $"{New} new, {Cached} cached, {Removed} removed, {Failures.Count} failed" + (WithoutFace > 0 ? $" ({WithoutFace} without a face)" : string.Empty);
}
