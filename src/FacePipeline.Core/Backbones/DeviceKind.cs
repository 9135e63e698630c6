namespace FacePipeline.Backbones;

/// <summary>Kind of device requested for inference or training.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when it initialises, otherwise CPU.</summary>
    Auto,

    /// <summary>CPU only.</summary>
    Cpu,

    /// <summary>CUDA only; failing to initialise it is an error.</summary>
    Cuda,
}
