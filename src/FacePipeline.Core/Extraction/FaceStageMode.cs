namespace FacePipeline.Extraction;

/// <summary>The face stage a user asks for (<c>--faces</c>).</summary>
public enum FaceStageMode
{
    /// <summary>Keep the stage the cache records; else detect when the detector finds a face in enough of a sample of the input.</summary>
    Auto,

    /// <summary>Always detect and align.</summary>
    Detect,

    /// <summary>Whole images.</summary>
    None,
}
