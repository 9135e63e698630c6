namespace FacePipeline.Head;

/// <summary>Whether TrainHead holds the training rows in memory or streams them from the cache's row groups.</summary>
public enum StreamingMode
{
    /// <summary>In memory when the rows' real in-memory peak fits the memory budget, streamed otherwise.</summary>
    Auto,

    /// <summary>Always stream, whatever the cache size.</summary>
    Always,

    /// <summary>Always in memory; a set whose peak exceeds the memory budget is refused.</summary>
    Never,
}
