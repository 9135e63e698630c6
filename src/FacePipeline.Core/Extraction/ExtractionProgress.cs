namespace FacePipeline.Extraction;

/// <summary>Progress of the feature computation.</summary>
/// <param name="Done">Images processed so far (succeeded or failed).</param>
/// <param name="Total">Images to process in this run.</param>
/// <param name="Failed">Images skipped so far.</param>
/// <param name="ElapsedSeconds">Seconds since the computation started.</param>
public sealed record ExtractionProgress(int Done, int Total, int Failed, double ElapsedSeconds);
