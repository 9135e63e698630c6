namespace FacePipeline.Backbones;

/// <summary>What is done to each image's feature vector after pooling, before it is cached or classified.</summary>
public enum FeatureNormalization
{
    /// <summary>The network's output as it is.</summary>
    None,

    /// <summary>Divided by its Euclidean length (face embeddings are compared by angle).</summary>
    L2,
}
