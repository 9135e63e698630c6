using Google.Protobuf;
using Onnx;

namespace FacePipeline.Backbones;

/// <summary>Reads ONNX model files as protobuf.</summary>
internal static class OnnxModelFile
{
    /// <summary>
    /// Parses <paramref name="path"/>, sharing it with other readers (OnnxSharp's <c>ParseFromFile</c> opens files
    /// exclusively, so a second thread or process hashing or parsing the same model at that moment would fail).
    /// </summary>
    /// <exception cref="BackboneException">Not an ONNX model.</exception>
    public static ModelProto Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException error)
        {
            throw new BackboneException($"{path}: not an ONNX model ({error.Message})", error);
        }
    }
}
