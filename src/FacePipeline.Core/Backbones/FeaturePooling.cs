namespace FacePipeline.Backbones;

/// <summary>Pooling applied to a backbone's output map before it is cached.</summary>
public enum FeaturePooling
{
    /// <summary>Keep the whole map, flattened (the seed's Flatten layer sees all of it).</summary>
    None,

    /// <summary>Global average over the spatial dimensions: one value per channel.</summary>
    Avg,
}
