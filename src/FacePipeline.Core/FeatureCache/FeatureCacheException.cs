namespace FacePipeline.FeatureCache;

/// <summary>A feature cache cannot be read or written as asked; the message names the file and what to do.</summary>
public sealed class FeatureCacheException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public FeatureCacheException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public FeatureCacheException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public FeatureCacheException()
    {
    }
}
