using FacePipeline.Backbones;

namespace FacePipeline.Faces;

/// <summary>
/// Finds face detectors: by path (a description JSON, or an ONNX file with its description beside it) or by known
/// name (<c>yunet</c>, <c>blazeface-front</c>, <c>blazeface-back</c>) in the <c>faces</c> sub-folder of the same model
/// folders that backbones are found in (<see cref="BackboneCatalog.DefaultFolders"/>).
/// </summary>
public sealed class FaceDetectorCatalog
{
    /// <summary>Sub-folder of a model folder that holds detectors (so a detector never passes for a backbone).</summary>
    public const string SubFolder = "faces";

    /// <summary>YuNet 2023mar (OpenCV).</summary>
    public const string YunetName = "yunet";

    /// <summary>MediaPipe BlazeFace short-range, 128×128.</summary>
    public const string BlazefaceFrontName = "blazeface-front";

    /// <summary>MediaPipe BlazeFace back-camera, 256×256.</summary>
    public const string BlazefaceBackName = "blazeface-back";

    private readonly IReadOnlyList<string> folders;

    /// <summary>Creates a catalog over the <c>faces</c> sub-folders of <paramref name="modelFolders"/>, searched in order.</summary>
    public FaceDetectorCatalog(IEnumerable<string> modelFolders)
    {
        folders = modelFolders.Select(folder => Path.GetFullPath(Path.Combine(folder, SubFolder))).Distinct().ToList();
    }

    /// <summary>The known names of the bundled detectors.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = [YunetName, BlazefaceFrontName, BlazefaceBackName];

    /// <summary>The catalog over the standard model folders (<see cref="BackboneCatalog.DefaultFolders"/>).</summary>
    public static FaceDetectorCatalog Default() => new(BackboneCatalog.DefaultFolders());

    /// <summary>Resolves a detector given by known name, description path or model path.</summary>
    /// <exception cref="FacePipelineException">Nothing usable found; the message says what to do.</exception>
    public FaceDetector Resolve(string detector)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(detector);
        if (detector.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return File.Exists(detector) ? FaceDetector.Load(detector) : throw new FacePipelineException($"{detector}: face detector description not found");
        }

        if (detector.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            string description = Path.ChangeExtension(detector, ".json");
            if (!File.Exists(detector) || !File.Exists(description))
            {
                throw new FacePipelineException($"{detector}: model or its description {Path.GetFileName(description)} not found; write one (see models/README.md)");
            }

            return FaceDetector.Load(description);
        }

        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, detector + ".json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(folder, FaceDetectorDescription.Load(candidate).Model)))
            {
                return FaceDetector.Load(candidate);
            }
        }

        throw new FacePipelineException(
            $"{detector}: no such face detector in {string.Join(", ", folders)}; known names: {string.Join(", ", KnownNames)}, or pass a path to a .json description");
    }
}
