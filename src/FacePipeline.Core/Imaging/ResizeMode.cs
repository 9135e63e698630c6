namespace FacePipeline.Imaging;

/// <summary>How an image is brought to the backbone's input size.</summary>
public enum ResizeMode
{
    /// <summary>Scale width and height independently to the target size (the aspect ratio is not kept). Keras' and ML.NET's default.</summary>
    Stretch,

    /// <summary>Scale the shorter side to the target and cut the centre (the aspect ratio is kept).</summary>
    CenterCrop,
}
