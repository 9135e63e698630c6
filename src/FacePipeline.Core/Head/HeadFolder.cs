using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Reporting;
using FacePipeline.Storage;

namespace FacePipeline.Head;

/// <summary>
/// A self-describing head folder: <c>weights.bin</c> (TorchSharp state of the mlp) or <c>prototypes.f32</c>
/// (prototype head), <c>labels.json</c> (index → label), <c>head.json</c>, and for the mlp <c>history.csv</c> and
/// <c>training-curves.png</c>. Written through <see cref="AtomicFolder"/> (a temporary sibling folder
/// renamed into place), so a reader never sees half a head.
/// </summary>
public static class HeadFolder
{
    /// <summary>Weights file name.</summary>
    public const string WeightsFileName = "weights.bin";

    /// <summary>
    /// Prototypes file name: classes × features float32, little-endian, row-major, no header (numpy:
    /// <c>np.fromfile(f, '&lt;f4').reshape(classes, features)</c>); the shape is in head.json.
    /// </summary>
    public const string PrototypesFileName = "prototypes.f32";

    /// <summary>Label map file name.</summary>
    public const string LabelsFileName = "labels.json";

    /// <summary>Description file name.</summary>
    public const string DescriptionFileName = "head.json";

    /// <summary>Per-epoch history file name.</summary>
    public const string HistoryFileName = "history.csv";

    /// <summary>Training curves plot file name.</summary>
    public const string CurvesFileName = "training-curves.png";

    /// <summary>What a head folder is to <see cref="OutputFolderGuard"/>: a folder whose head.json has a format version.</summary>
    public static OutputFolderKind Kind { get; } = new("head folder", DescriptionFileName, "format_version");

    /// <summary>JSON options of head.json and labels.json.</summary>
    public static JsonSerializerOptions JsonOptions => BackboneDescription.JsonOptions;

    /// <summary>Writes a trained head to <paramref name="folder"/>.</summary>
    /// <param name="folder">Destination.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="description">Its description.</param>
    /// <param name="overwrite">Replace an existing folder (only once the new one is complete).</param>
    /// <param name="cacheFolder">The feature cache the head was trained on (never replaced), or null.</param>
    /// <exception cref="FacePipelineException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    /// <exception cref="FacePipelineException">The folder may not be replaced (<see cref="OutputFolderGuard"/>), or appeared while training without <paramref name="overwrite"/>.</exception>
    public static void Write(string folder, TrainedHead head, HeadDescription description, bool overwrite, string? cacheFolder = null)
    {
        string target = Path.GetFullPath(folder.TrimEnd('/', '\\'));
        EnsureWritable(target, overwrite, cacheFolder);
        AtomicFolder.Write(target, staging =>
        {
            var written = new List<string> { description.WeightsFile, LabelsFileName };
            if (head.Kind == HeadKind.Prototype)
            {
                WritePrototypes(Path.Combine(staging, description.WeightsFile), head.Prototypes!);
            }
            else
            {
                using var model = new HeadModel(head.InputSize, head.Labels.Count, description.Architecture.Dropout);
                model.load_state_dict(head.Weights);
                model.save(Path.Combine(staging, WeightsFileName));
                WriteHistory(staging, head.History);
                written.AddRange([HistoryFileName, CurvesFileName]);
            }

            File.WriteAllText(Path.Combine(staging, LabelsFileName), JsonSerializer.Serialize(head.Labels, JsonOptions));
            var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (string file in written)
            {
                files[file] = ContentHash.OfFile(Path.Combine(staging, file));
            }

            File.WriteAllText(Path.Combine(staging, DescriptionFileName), JsonSerializer.Serialize(description with { Files = files }, JsonOptions));
        }, replace: overwrite);
    }

    /// <summary>
    /// The prototypes in <paramref name="bytes"/> (the weights file read by <see cref="HeadFolderReader"/>, named
    /// <paramref name="path"/>) of a head whose head.json says <paramref name="classes"/> × <paramref name="inputSize"/>.
    /// </summary>
    /// <exception cref="FacePipelineException">The file holds another number of values.</exception>
    public static float[] ReadPrototypes(byte[] bytes, string path, int classes, int inputSize)
    {
        long expected = (long)classes * inputSize * sizeof(float);
        if (bytes.Length != expected)
        {
            throw new FacePipelineException($"{path}: {bytes.Length} bytes, but head.json says {classes} × {inputSize} float32 prototypes ({expected} bytes); retrain the head");
        }

        var values = new float[classes * inputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return values;
    }

    /// <summary>Writes the prototypes little-endian through a 64 KB buffer (a copy of all of them would add 41 MB at 20 000 × 512).</summary>
    private static void WritePrototypes(string path, float[] prototypes)
    {
        var buffer = new byte[64 * 1024];
        using FileStream stream = File.Create(path);
        for (int start = 0; start < prototypes.Length; start += buffer.Length / sizeof(float))
        {
            int count = Math.Min(buffer.Length / sizeof(float), prototypes.Length - start);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * sizeof(float)), prototypes[start + i]);
            }

            stream.Write(buffer, 0, count * sizeof(float));
        }
    }

    private static void WriteHistory(string staging, IReadOnlyList<EpochRecord> history)
    {
        CsvTable.Write(
            Path.Combine(staging, HistoryFileName),
            ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"],
            history.Select(e => new[]
            {
                e.Epoch.ToString(CultureInfo.InvariantCulture), Number(e.Loss), Number(e.Accuracy), Number(e.ValLoss), Number(e.ValAccuracy), Number(e.Seconds),
            }));
        TrainingCurvesPlot.Write(Path.Combine(staging, CurvesFileName), history);
    }

    /// <summary>
    /// Fails early (before training) when <paramref name="folder"/> may not be written: it is the cache, the working
    /// directory or a folder holding one of them; it exists without <paramref name="overwrite"/>; or, with it, it is
    /// not a head folder (<see cref="OutputFolderGuard"/>).
    /// </summary>
    /// <exception cref="FacePipelineException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    /// <exception cref="FacePipelineException">The folder may not be replaced.</exception>
    public static void EnsureWritable(string folder, bool overwrite, string? cacheFolder = null)
    {
        (string, string)[] inputs = cacheFolder is null ? [] : [(cacheFolder, "feature cache")];
        OutputFolderGuard.EnsureNotAnInput(folder, Kind, "--out", inputs);
        if (!overwrite && (Directory.Exists(folder) || File.Exists(folder)))
        {
            throw new FacePipelineException($"{folder}: already exists; choose another --out or pass --overwrite to replace it");
        }

        OutputFolderGuard.EnsureReplaceable(folder, Kind, "--out", inputs);
    }

    /// <summary>
    /// Reads <c>head.json</c> and the label map it names (<see cref="HeadDescription.LabelsFile"/>) of a head folder as
    /// one consistent version, after verifying the SHA-256 of every file <c>head.json</c> records
    /// (<see cref="HeadFolderReader"/>).
    /// </summary>
    /// <exception cref="FacePipelineException">Missing, damaged or invalid files, or a label map with a null or duplicate label.</exception>
    public static (HeadDescription Description, IReadOnlyList<string> Labels) ReadDescription(string folder)
    {
        HeadSnapshot head = HeadFolderReader.Read(folder);
        return (head.Description, head.Labels);
    }

    /// <summary>Refuses a head architecture this tool does not run.</summary>
    internal static void EnsureKnownArchitecture(string descriptionPath, HeadArchitecture architecture)
    {
        if (architecture.Kind == HeadDescriptionBuilder.PrototypeKind && architecture.Output == HeadDescriptionBuilder.CosineOutput && architecture.Hidden.Count == 0)
        {
            return;
        }

        if (architecture.Kind != HeadDescriptionBuilder.DenseKind
            || architecture.Activation != HeadDescriptionBuilder.HiddenActivation
            || architecture.Output != HeadDescriptionBuilder.OutputActivation
            || !architecture.Hidden.SequenceEqual(HeadModel.HiddenSizes))
        {
            throw new FacePipelineException(
                $"{descriptionPath}: head architecture '{architecture.Kind}' ({string.Join("-", architecture.Hidden)}, {architecture.Activation}, {architecture.Output}) is not the "
                + $"{HeadDescriptionBuilder.DenseKind} or {HeadDescriptionBuilder.PrototypeKind} this tool runs; retrain the head");
        }
    }

    /// <summary>Normalises the labels (<see cref="LabelRules"/>) and refuses a label map with a null, empty, reserved or duplicate label.</summary>
    internal static void CheckLabels(string?[] labels, string labelsPath)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labels[i] is null ? null : LabelRules.Normalize(labels[i]!);
            string problem = string.IsNullOrEmpty(labels[i]) ? $"label {i} is null or empty"
                : !seen.Add(labels[i]!) ? $"label '{labels[i]}' appears twice"
                : LabelRules.Problem(labels[i]!) is string reserved ? reserved
                : string.Empty;
            if (problem.Length > 0)
            {
                throw new FacePipelineException($"{labelsPath}: {problem}; a label map holds each person once");
            }
        }
    }

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty;
}
