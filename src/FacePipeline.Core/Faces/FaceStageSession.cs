using FacePipeline.Backbones;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FacePipeline.Faces;

/// <summary>
/// A <see cref="FaceStage"/> ready to run: its detector session (one per run, one intra-op thread, called from the
/// decode workers in parallel while the backbone session keeps all cores) and the geometry at the backbone's input
/// size. Thread-safe.
/// </summary>
public sealed class FaceStageSession : IDisposable
{
    /// <summary>ONNX Runtime threads per detector call: the decode workers already run several images at once.</summary>
    public const int DetectorIntraOpThreads = 1;

    private readonly FaceDetectorSession session;

    private FaceStageSession(FaceStage stage, FaceDetectorSession session, FaceGeometry geometry)
    {
        Stage = stage;
        this.session = session;
        Geometry = geometry;
    }

    /// <summary>The stage.</summary>
    public FaceStage Stage { get; }

    /// <summary>The geometry faces are aligned onto, at the backbone's input size.</summary>
    public FaceGeometry Geometry { get; }

    /// <summary>Where the detector runs.</summary>
    public string Device => session.Device;

    /// <summary>Opens the detecting stage of <paramref name="detector"/> for <paramref name="backbone"/>.</summary>
    /// <exception cref="FacePipelineException">The detector model cannot be loaded.</exception>
    public static FaceStageSession Open(FaceDetector detector, Backbone backbone, DeviceSpec device, out string? notice) =>
        Open(FaceStage.Detect(detector, backbone), detector, backbone, device, out notice);

    /// <summary>Opens <paramref name="stage"/> (a detecting one, e.g. a recorded stage) with <paramref name="detector"/> for <paramref name="backbone"/>.</summary>
    /// <exception cref="FacePipelineException">The detector model cannot be loaded.</exception>
    public static FaceStageSession Open(FaceStage stage, FaceDetector detector, Backbone backbone, DeviceSpec device, out string? notice)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(backbone);
        FaceGeometry geometry = FaceGeometry.Resolve(stage.Geometry, backbone.Preprocessing.WidthPx, backbone.Preprocessing.HeightPx);
        FaceDetectorSession session = FaceDetectorSession.Open(detector, device, DetectorIntraOpThreads, out notice);
        return new FaceStageSession(stage, session, geometry);
    }

    /// <summary>
    /// Opens the stage <paramref name="recorded"/> (a head's or a cache's), or returns null for <see cref="FaceStage.None"/>;
    /// the detector found under its name must be the recorded one.
    /// </summary>
    /// <exception cref="FacePipelineException">The detector is missing or its model differs from the recorded one.</exception>
    public static FaceStageSession? OpenRecorded(FaceStage recorded, FaceDetectorCatalog catalog, Backbone backbone, DeviceSpec device, out string? notice)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(catalog);
        notice = null;
        if (recorded.DetectorName is null)
        {
            return null;
        }

        FaceDetector detector = catalog.Resolve(recorded.DetectorName);
        FaceStage stage = FaceStage.Detect(detector, backbone).As(recorded);
        if (stage != recorded)
        {
            throw new FacePipelineException(
                $"{detector.ModelPath}: face stage is {stage}, but the features were made with {recorded}; put the detector it names back into models/faces");
        }

        return Open(stage, detector, backbone, device, out notice);
    }

    /// <summary>
    /// The faces of <paramref name="image"/>, best score first, in image pixels: the detector's (its decoder keeps
    /// only candidates at or above the score, <see cref="FaceStage.MinScore"/>) at least <see cref="FaceStage.MinFacePx"/>
    /// wide and high, the one place the minimum size applies.
    /// </summary>
    public IReadOnlyList<DetectedFace> Detect(Image<Rgb24> image) =>
        session.Detect(image).Where(face => Math.Min(face.Box.Width, face.Box.Height) >= Stage.MinFacePx).ToList();

    /// <summary>How the failure line of an image without a face starts.</summary>
    public const string NoFacePrefix = "no face found";

    /// <summary>The failure line of an image without a face.</summary>
    public string NoFaceReason => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{NoFacePrefix} (detector {Stage.DetectorName}, no candidate scored {Stage.MinScore:0.##} or more at {Stage.MinFacePx} px or larger)");

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
