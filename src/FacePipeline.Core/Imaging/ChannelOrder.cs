namespace FacePipeline.Imaging;

/// <summary>Order of the colour planes a backbone expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision).</summary>
    Rgb,

    /// <summary>Blue, green, red (Keras "caffe" mode, Caffe-trained and CNTK-trained models).</summary>
    Bgr,
}
