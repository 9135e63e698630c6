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

    /// <summary>JSON options of head.json and labels.json.</summary>
    public static JsonSerializerOptions JsonOptions => BackboneDescription.JsonOptions;

    /// <summary>Writes a trained head to <paramref name="folder"/>.</summary>
    /// <param name="folder">Destination.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="description">Its description.</param>
    /// <param name="overwrite">Replace an existing folder (only once the new one is complete).</param>
    /// <exception cref="HeadException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    public static void Write(string folder, TrainedHead head, HeadDescription description, bool overwrite)
    {
        string target = Path.GetFullPath(folder.TrimEnd('/', '\\'));
        EnsureWritable(target, overwrite);
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
        });
    }

    /// <summary>Reads the prototypes of a head whose head.json says <paramref name="classes"/> × <paramref name="inputSize"/>.</summary>
    /// <exception cref="HeadException">The file holds another number of values.</exception>
    public static float[] ReadPrototypes(string path, int classes, int inputSize)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long expected = (long)classes * inputSize * sizeof(float);
        if (bytes.Length != expected)
        {
            throw new HeadException($"{path}: {bytes.Length} bytes, but head.json says {classes} × {inputSize} float32 prototypes ({expected} bytes); retrain the head");
        }

        var values = new float[classes * inputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return values;
    }

    private static void WritePrototypes(string path, float[] prototypes)
    {
        var bytes = new byte[prototypes.Length * sizeof(float)];
        for (int i = 0; i < prototypes.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), prototypes[i]);
        }

        File.WriteAllBytes(path, bytes);
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

    /// <summary>Fails early (before training) when <paramref name="folder"/> exists and may not be replaced.</summary>
    public static void EnsureWritable(string folder, bool overwrite)
    {
        if (!overwrite && (Directory.Exists(folder) || File.Exists(folder)))
        {
            throw new HeadException($"{folder}: already exists; choose another --out or pass --overwrite to replace it");
        }
    }

    /// <summary>
    /// Reads <c>head.json</c> and the label map it names (<see cref="HeadDescription.LabelsFile"/>) of a head folder,
    /// after verifying the SHA-256 of every file <c>head.json</c> records (hashing <c>weights.bin</c> costs about
    /// 0.3 s per 100 MB).
    /// </summary>
    /// <exception cref="HeadException">Missing, damaged or invalid files, or a label map with a null or duplicate label.</exception>
    public static (HeadDescription Description, IReadOnlyList<string> Labels) ReadDescription(string folder)
    {
        string descriptionPath = Path.Combine(folder, DescriptionFileName);
        if (!File.Exists(descriptionPath))
        {
            throw new HeadException($"{folder}: not a head folder ({DescriptionFileName} missing); train one with TrainHead");
        }

        try
        {
            HeadDescription description = JsonSerializer.Deserialize<HeadDescription>(File.ReadAllText(descriptionPath), JsonOptions)
                ?? throw new HeadException($"{descriptionPath}: empty");
            if (description.FormatVersion != HeadDescription.CurrentFormatVersion)
            {
                throw new HeadException($"{descriptionPath}: head format {description.FormatVersion}, this tool reads {HeadDescription.CurrentFormatVersion}; retrain the head");
            }

            EnsureKnownArchitecture(descriptionPath, description.Architecture);
            VerifyFiles(folder, descriptionPath, description);
            // VerifyFiles has checked that the recorded name is a plain file name of the folder with a matching hash.
            string labelsPath = Path.Combine(folder, description.LabelsFile);
            string?[] labels = JsonSerializer.Deserialize<string?[]>(File.ReadAllText(labelsPath), JsonOptions)
                ?? throw new HeadException($"{labelsPath}: empty");
            CheckLabels(labels, labelsPath);
            if (labels.Length != description.Architecture.Classes)
            {
                throw new HeadException($"{labelsPath}: {labels.Length} labels, but {DescriptionFileName} says {description.Architecture.Classes} classes");
            }

            return (description, labels!);
        }
        catch (JsonException error)
        {
            throw new HeadException($"{folder}: invalid head description ({error.Message})", error);
        }
        catch (FileNotFoundException error)
        {
            throw new HeadException($"{folder}: {Path.GetFileName(error.FileName)} missing; the head folder is incomplete", error);
        }
    }

    private static void EnsureKnownArchitecture(string descriptionPath, HeadArchitecture architecture)
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
            throw new HeadException(
                $"{descriptionPath}: head architecture '{architecture.Kind}' ({string.Join("-", architecture.Hidden)}, {architecture.Activation}, {architecture.Output}) is not the "
                + $"{HeadDescriptionBuilder.DenseKind} or {HeadDescriptionBuilder.PrototypeKind} this tool runs; retrain the head");
        }
    }

    /// <summary>Every file head.json records must be there with the recorded SHA-256; weights and labels must be recorded.</summary>
    private static void VerifyFiles(string folder, string descriptionPath, HeadDescription description)
    {
        foreach (string required in new[] { description.WeightsFile, description.LabelsFile })
        {
            if (!description.Files.ContainsKey(required))
            {
                throw new HeadException($"{descriptionPath}: records no SHA-256 for {required}; retrain the head");
            }
        }

        foreach ((string name, string sha256) in description.Files)
        {
            if (name != Path.GetFileName(name) || name is "." or "..")
            {
                throw new HeadException($"{descriptionPath}: '{name}' is not a file name of the head folder; retrain the head");
            }

            string path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                throw new HeadException($"{path}: missing; the head folder is incomplete (restore it or retrain the head)");
            }

            if (!string.Equals(ContentHash.OfFile(path), sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new HeadException($"{path}: its SHA-256 differs from the one head.json records (damaged or edited since training); restore the head folder or retrain it");
            }
        }
    }

    private static void CheckLabels(string?[] labels, string labelsPath)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i++)
        {
            string problem = string.IsNullOrEmpty(labels[i]) ? $"label {i} is null or empty"
                : !seen.Add(labels[i]!) ? $"label '{labels[i]}' appears twice"
                : string.Empty;
            if (problem.Length > 0)
            {
                throw new HeadException($"{labelsPath}: {problem}; a label map holds each person once");
            }
        }
    }

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty;
}
