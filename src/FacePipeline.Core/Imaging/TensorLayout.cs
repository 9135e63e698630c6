namespace FacePipeline.Imaging;

/// <summary>Memory layout of an image batch tensor.</summary>
public enum TensorLayout
{
    /// <summary>Batch, channels, height, width (PyTorch, ONNX default).</summary>
    Nchw,

    /// <summary>Batch, height, width, channels (TensorFlow/Keras).</summary>
    Nhwc,
}
