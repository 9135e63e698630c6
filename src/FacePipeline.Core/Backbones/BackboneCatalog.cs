namespace FacePipeline.Backbones;

/// <summary>
/// Finds backbones: by path (an ONNX file with a description of the same name beside it, or the description itself)
/// or by known name (<c>resnet18</c>, <c>mobilefacenet</c>, <c>vgg16-notop</c>) in the model folders. Without a choice it takes
/// <c>vgg16-notop</c> when its model file exists (the design's backbone), else the bundled face-trained MobileFaceNet.
/// </summary>
public sealed class BackboneCatalog
{
    /// <summary>Name of the bundled ImageNet backbone (ResNet18 from NuGet, 512 features), available by name.</summary>
    public const string ImageNetName = "resnet18";

    /// <summary>
    /// Name of the bundled face-trained backbone (MobileFaceNet, 128-d embeddings): the default when VGG16 is not
    /// installed, since on photos of people it recognises nearly everyone where ImageNet features recognise about
    /// half (lfw-dev with the face stage: 0.992 against 0.340 for resnet18).
    /// </summary>
    public const string FaceName = "mobilefacenet";

    /// <summary>Name of the backbone taken when <c>--model</c> is not given and VGG16 is not installed.</summary>
    public const string BundledDefaultName = FaceName;

    /// <summary>Name of the design's backbone (produced by scripts/export-vgg16-notop.sh).</summary>
    public const string Vgg16Name = "vgg16-notop";

    /// <summary>Environment variable naming an extra model folder, searched first.</summary>
    public const string ModelsEnvironmentVariable = "FACEPIPELINE_MODELS";

    private readonly IReadOnlyList<string> folders;

    /// <summary>Creates a catalog over <paramref name="folders"/>, searched in order.</summary>
    public BackboneCatalog(IEnumerable<string> folders)
    {
        this.folders = folders.Select(Path.GetFullPath).Distinct().ToList();
    }

    /// <summary>
    /// The standard search order: <c>$FACEPIPELINE_MODELS</c>, <c>./models</c> (the working directory) and the
    /// <c>models</c> folder beside the program (where the build puts the bundled ResNet18).
    /// </summary>
    public static BackboneCatalog Default() => new(DefaultFolders());

    /// <summary>
    /// The standard model folders, in search order: <c>$FACEPIPELINE_MODELS</c>, <c>./models</c> and the <c>models</c>
    /// folder beside the program. Face detectors are found in their <c>faces</c> sub-folders.
    /// </summary>
    public static IReadOnlyList<string> DefaultFolders()
    {
        var folders = new List<string>();
        string? fromEnvironment = Environment.GetEnvironmentVariable(ModelsEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            folders.Add(fromEnvironment);
        }

        folders.Add(Path.Combine(Environment.CurrentDirectory, "models"));
        folders.Add(Path.Combine(AppContext.BaseDirectory, "models"));
        return folders;
    }

    /// <summary>Resolves a <c>--model</c> value (null for the default choice).</summary>
    /// <param name="model">A path to an .onnx or .json file, a known name, or null.</param>
    /// <param name="notice">Set to a line for people when the default fell back to the bundled backbone.</param>
    /// <exception cref="BackboneException">Nothing usable found; the message says what to do.</exception>
    public Backbone Resolve(string? model, out string? notice)
    {
        notice = null;
        if (model is null)
        {
            string? vgg = FindDescription(Vgg16Name);
            if (vgg is not null)
            {
                return Backbone.Load(vgg);
            }

            notice = $"note: models/{Vgg16Name}.onnx not found; using the bundled face-trained {BundledDefaultName} (128-d); "
                + $"--model {ImageNetName} for the bundled ImageNet ResNet18, --model {Vgg16Name} after scripts/export-vgg16-notop.sh (needs internet)";
            return Backbone.Load(FindDescription(BundledDefaultName)
                ?? throw new BackboneException($"{BundledDefaultName}: bundled backbone not found in {string.Join(", ", folders)}; rebuild the solution (dotnet build) to restore it"));
        }

        if (model.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return File.Exists(model) ? Backbone.Load(model) : throw new BackboneException($"{model}: backbone description not found");
        }

        if (model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(model))
            {
                throw new BackboneException($"{model}: model file not found");
            }

            string description = Path.ChangeExtension(model, ".json");
            if (!File.Exists(description))
            {
                throw new BackboneException($"{model}: no backbone description {Path.GetFileName(description)} beside it; write one (see models/README.md)");
            }

            Backbone backbone = Backbone.Load(description);
            if (!string.Equals(backbone.ModelPath, Path.GetFullPath(model), StringComparison.Ordinal))
            {
                throw new BackboneException($"{description}: describes {backbone.Description.Model}, not {Path.GetFileName(model)}");
            }

            return backbone;
        }

        string? found = FindDescription(model);
        if (found is not null)
        {
            return Backbone.Load(found);
        }

        string hint = model == Vgg16Name
            ? $"models/{Vgg16Name}.onnx is produced by scripts/export-vgg16-notop.sh (needs internet); or use --model {BundledDefaultName}"
            : $"known names: {ImageNetName}, {FaceName}, {Vgg16Name}; or pass a path to an .onnx file with its .json description";
        throw new BackboneException($"{model}: no such backbone in {string.Join(", ", folders)}; {hint}");
    }

    /// <summary>The first description named <paramref name="name"/>.json whose model file exists.</summary>
    private string? FindDescription(string name)
    {
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, name + ".json");
            if (!File.Exists(candidate))
            {
                continue;
            }

            BackboneDescription description = BackboneDescription.Load(candidate);
            if (File.Exists(Path.Combine(folder, description.Model)))
            {
                return candidate;
            }
        }

        return null;
    }
}
