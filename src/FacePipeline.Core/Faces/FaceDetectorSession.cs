using FacePipeline.Backbones;
using FacePipeline.Imaging;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FacePipeline.Faces;

/// <summary>
/// One ONNX Runtime session for a face detector, created once and reused (<see cref="Detect"/> is thread-safe).
/// Takes a whole decoded image, letterboxes it into the detector's input as its description says, runs the model,
/// decodes the outputs with the published post-processing, suppresses overlaps and returns the faces in image pixels.
/// </summary>
public sealed class FaceDetectorSession : IDisposable
{
    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly string[] outputNames;
    private readonly IReadOnlyList<SsdAnchor> anchors;

    private FaceDetectorSession(FaceDetector detector, InferenceSession session, string device)
    {
        Detector = detector;
        this.session = session;
        Device = device;
        FaceDetectorDescription d = detector.Description;
        inputName = d.Input.Name ?? session.InputMetadata.Keys.Single();
        if (!session.InputMetadata.TryGetValue(inputName, out NodeMetadata? input))
        {
            throw new FacePipelineException($"{detector.ModelPath}: no input named '{inputName}' (model inputs: {string.Join(", ", session.InputMetadata.Keys)})");
        }

        int[] expected = d.Input.Layout == TensorLayout.Nchw ? [3, d.Input.Height, d.Input.Width] : [d.Input.Height, d.Input.Width, 3];
        if (input.Dimensions.Length != 4 || !input.Dimensions.Skip(1).Zip(expected).All(pair => pair.First <= 0 || pair.First == pair.Second))
        {
            throw new FacePipelineException(
                $"{detector.ModelPath}: input shape [{string.Join(',', input.Dimensions)}] does not match the description ({d.Input.Layout}, {d.Input.Width}x{d.Input.Height}x3)");
        }

        outputNames = [.. d.Outputs.Scores, .. d.Outputs.Objectness, .. d.Outputs.Boxes, .. d.Outputs.Keypoints];
        string? missing = outputNames.FirstOrDefault(name => !session.OutputMetadata.ContainsKey(name));
        if (missing is not null)
        {
            throw new FacePipelineException($"{detector.ModelPath}: no output named '{missing}' (model outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
        }

        anchors = d.Anchors is null ? [] : SsdAnchorGenerator.Generate(d.Anchors);
    }

    /// <summary>The detector this session runs.</summary>
    public FaceDetector Detector { get; }

    /// <summary>Where it runs: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; }

    /// <summary>Opens a session on <paramref name="device"/>, with the same device handling as backbone sessions.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="device">Requested device.</param>
    /// <param name="intraOpThreads">ONNX Runtime threads per operator; give the detector part of the cores when a backbone runs beside it.</param>
    /// <param name="notice">Set to a line for people when <c>auto</c> fell back to the CPU.</param>
    /// <exception cref="FacePipelineException">The model cannot be loaded or does not match its description.</exception>
    /// <exception cref="BackboneException">CUDA was required and is unavailable.</exception>
    public static FaceDetectorSession Open(FaceDetector detector, DeviceSpec device, int intraOpThreads, out string? notice)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using SessionOptions options = OnnxSessionOptions.Create(device, intraOpThreads, out string used, out notice);
        InferenceSession session;
        try
        {
            session = new InferenceSession(detector.ModelPath, options);
        }
        catch (OnnxRuntimeException error)
        {
            throw new FacePipelineException($"{detector.ModelPath}: ONNX Runtime cannot load the model ({OnnxSessionOptions.FirstLine(error.Message)})", error);
        }

        try
        {
            return new FaceDetectorSession(detector, session, used);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Finds every face in <paramref name="image"/>, best score first, in the image's pixels.</summary>
    public IReadOnlyList<DetectedFace> Detect(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        FaceDetectorDescription d = Detector.Description;
        Letterbox letterbox = Letterbox.Plan(image.Width, image.Height, d.Input.Width, d.Input.Height, d.Input.Letterbox.Upscale, d.Input.Letterbox.Anchor);
        float[] tensor = Fill(image, letterbox, d.Input);
        long[] shape = d.Input.Layout == TensorLayout.Nchw ? [1, 3, d.Input.Height, d.Input.Width] : [1, d.Input.Height, d.Input.Width, 3];
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(tensor, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [inputName], [input], outputNames);
        float[][] values = outputs.Select(output => output.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        List<DetectedFace> candidates = d.Kind == FaceDetectorKind.Yunet ? DecodeYunet(values) : DecodeBlazeface(values);
        IReadOnlyList<DetectedFace> faces = d.Nms.Algorithm == NmsAlgorithm.Weighted
            ? NonMaxSuppression.Weighted(candidates, d.Nms.IouThreshold, d.Nms.TopK)
            : NonMaxSuppression.Hard(candidates, d.Nms.IouThreshold, d.Nms.TopK);
        return faces.Select(letterbox.ToImage).OrderByDescending(face => face.Score).ToList();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();

    /// <summary>The detector's input tensor: the image scaled into the letterbox, black padding elsewhere.</summary>
    private static float[] Fill(Image<Rgb24> image, Letterbox letterbox, FaceDetectorDescription.InputSpec input)
    {
        int width = input.Width;
        int height = input.Height;
        var tensor = new float[3 * width * height];
        Array.Fill(tensor, input.Offset);
        bool nchw = input.Layout == TensorLayout.Nchw;
        bool bgr = input.ChannelOrder == ChannelOrder.Bgr;
        int plane = width * height;
        float scale = input.Scale;
        float offset = input.Offset;
        Image<Rgb24> resized = letterbox.ResizedWidth == image.Width && letterbox.ResizedHeight == image.Height
            ? image
            : image.Clone(context => context.Resize(letterbox.ResizedWidth, letterbox.ResizedHeight, KnownResamplers.Triangle));
        try
        {
            resized.ProcessPixelRows(accessor =>
            {
                for (int y = 0; y < accessor.Height; y++)
                {
                    Span<Rgb24> row = accessor.GetRowSpan(y);
                    int ty = y + letterbox.OffsetY;
                    for (int x = 0; x < row.Length; x++)
                    {
                        Rgb24 pixel = row[x];
                        float first = ((bgr ? pixel.B : pixel.R) * scale) + offset;
                        float second = (pixel.G * scale) + offset;
                        float third = ((bgr ? pixel.R : pixel.B) * scale) + offset;
                        int at = (ty * width) + x + letterbox.OffsetX;
                        if (nchw)
                        {
                            tensor[at] = first;
                            tensor[plane + at] = second;
                            tensor[(2 * plane) + at] = third;
                        }
                        else
                        {
                            tensor[3 * at] = first;
                            tensor[(3 * at) + 1] = second;
                            tensor[(3 * at) + 2] = third;
                        }
                    }
                }
            });
        }
        finally
        {
            if (!ReferenceEquals(resized, image))
            {
                resized.Dispose();
            }
        }

        return tensor;
    }

    private List<DetectedFace> DecodeYunet(float[][] values)
    {
        FaceDetectorDescription d = Detector.Description;
        int levels = d.Strides.Count;
        var outputs = new List<YunetLevelOutput>(levels);
        for (int i = 0; i < levels; i++)
        {
            outputs.Add(new YunetLevelOutput(d.Strides[i], values[i], values[levels + i], values[(2 * levels) + i], values[(3 * levels) + i]));
        }

        return YunetDecoder.Decode(outputs, d.Input.Width, d.Input.Height, d.ScoreThreshold, d.Keypoints);
    }

    private List<DetectedFace> DecodeBlazeface(float[][] values)
    {
        FaceDetectorDescription d = Detector.Description;
        int groups = d.Outputs.Scores.Count;
        float[] logits = values.Take(groups).SelectMany(group => group).ToArray();
        float[] regressors = values.Skip(groups).Take(groups).SelectMany(group => group).ToArray();
        return BlazefaceDecoder.Decode(logits, regressors, anchors, d.BoxDecoding!, d.ScoreThreshold, d.Keypoints, d.Input.Width, d.Input.Height);
    }
}
