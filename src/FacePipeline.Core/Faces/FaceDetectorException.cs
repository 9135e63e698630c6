namespace FacePipeline.Faces;

/// <summary>A face detector cannot be found, described, loaded or run as asked; the message names the file and what to do.</summary>
public sealed class FaceDetectorException : FacePipelineException
{
    /// <summary>Creates the exception.</summary>
    public FaceDetectorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public FaceDetectorException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public FaceDetectorException()
    {
    }
}
