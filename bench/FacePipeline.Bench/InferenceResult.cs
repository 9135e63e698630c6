namespace FacePipeline.Bench;

/// <summary>Backbone inference alone at one batch size.</summary>
/// <param name="Model">Backbone name.</param>
/// <param name="Batch">Images per <c>Run</c>.</param>
/// <param name="ImagesPerSecond">Images per second over the repeats.</param>
/// <param name="GflopPerImage">FLOP per image / 1e9 (2 × MACs).</param>
/// <param name="Variant">Session options (<c>current</c> = BackboneSession.Open).</param>
internal sealed record InferenceResult(string Model, int Batch, Stats ImagesPerSecond, double GflopPerImage, string Variant)
{
    /// <summary>Seconds to create the session (variants only).</summary>
    public Stats? OpenSeconds { get; init; }

    /// <summary>Seconds of the first batch-32 Run of a fresh session: allocation and kernel set-up (variants only).</summary>
    public Stats? FirstRunSeconds { get; init; }

    /// <summary>Achieved GFLOP/s (median).</summary>
    public double Gflops => ImagesPerSecond.Median * GflopPerImage;

    /// <summary>Achieved GFLOP/s of every run.</summary>
    public Stats GflopsStats => ImagesPerSecond.Map(v => v * GflopPerImage);
}
