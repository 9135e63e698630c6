namespace FacePipeline.Extraction;

/// <summary>Progress of the feature computation.</summary>
/// <param name="Done">Images processed so far (succeeded or failed).</param>
/// <param name="Total">Images to process in this run.</param>
/// <param name="Failed">Images skipped so far.</param>
/// <param name="ElapsedSeconds">Seconds since the computation started.</param>
public sealed record ExtractionProgress(int Done, int Total, int Failed, double ElapsedSeconds)
{
    /// <summary>Images per second so far.</summary>
    public double ImagesPerSecond => ElapsedSeconds > 0 ? Done / ElapsedSeconds : 0;

    /// <summary>Estimated seconds left at the current rate, or null before the first image.</summary>
    public double? EtaSeconds => Done > 0 ? (Total - Done) / ImagesPerSecond : null;
}
