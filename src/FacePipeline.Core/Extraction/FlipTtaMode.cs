namespace FacePipeline.Extraction;

/// <summary>The flip test-time augmentation a user asks for (<c>--flip-tta</c>).</summary>
public enum FlipTtaMode
{
    /// <summary>Keep what the cache records (as <c>--faces auto</c> keeps its stage); off for a new cache or a rebuild.</summary>
    Auto,

    /// <summary>Off: one backbone run per face.</summary>
    Off,

    /// <summary>On: the mean of the features of the face and of its mirror image.</summary>
    On,
}
