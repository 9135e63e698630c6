using FacePipeline.Dataset;

namespace FacePipeline.Faces;

/// <summary>
/// A face detector ready to use: its description, the model file it points at and that file's SHA-256 (part of
/// the identity of features made with it). Creating one hashes the model file; it does not start ONNX Runtime.
/// </summary>
public sealed class FaceDetector
{
    private FaceDetector(FaceDetectorDescription description, string descriptionPath, string modelPath, string modelSha256)
    {
        Description = description;
        DescriptionPath = descriptionPath;
        ModelPath = modelPath;
        ModelSha256 = modelSha256;
    }

    /// <summary>The description as read.</summary>
    public FaceDetectorDescription Description { get; }

    /// <summary>Full path of the description JSON.</summary>
    public string DescriptionPath { get; }

    /// <summary>Full path of the ONNX model.</summary>
    public string ModelPath { get; }

    /// <summary>SHA-256 of the model file, lower-case hex.</summary>
    public string ModelSha256 { get; }

    /// <summary>The detector's name (from its description).</summary>
    public string Name => Description.Name;

    /// <summary>Loads the description at <paramref name="descriptionPath"/>, checks its model exists and hashes it.</summary>
    /// <exception cref="FacePipelineException">Description or model missing or invalid.</exception>
    public static FaceDetector Load(string descriptionPath)
    {
        string fullPath = Path.GetFullPath(descriptionPath);
        FaceDetectorDescription description = FaceDetectorDescription.Load(fullPath);
        string modelPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(fullPath)!, description.Model));
        if (!File.Exists(modelPath))
        {
            throw new FacePipelineException($"{modelPath}: face detector model not found (named by {fullPath})");
        }

        return new FaceDetector(description, fullPath, modelPath, ContentHash.OfFile(modelPath));
    }
}
