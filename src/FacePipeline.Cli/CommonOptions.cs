using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Extraction;

namespace FacePipeline.Cli;

/// <summary>Options that several programs share, defined once so their names, defaults and help agree.</summary>
public static class CommonOptions
{
    /// <summary><c>--device auto|cpu|cuda[:N]</c> for ONNX Runtime.</summary>
    public static Option<DeviceSpec> Device() => new("--device")
    {
        Description = "Where the backbone runs: auto (CUDA if it initialises, else CPU), cpu, cuda or cuda:N",
        DefaultValueFactory = _ => DeviceSpec.Auto,
        CustomParser = result => Parse(result, DeviceSpec.Parse),
        HelpName = "auto|cpu|cuda[:N]",
    };

    /// <summary><c>--model PATH|NAME</c>.</summary>
    public static Option<string?> Model(string description) => new("--model")
    {
        Description = description,
        HelpName = "PATH|NAME",
    };

    /// <summary><c>--batch-size N</c> for inference; read it with <see cref="BatchSizeFor"/>.</summary>
    public static Option<int> BatchSize() => new("--batch-size")
    {
        Description = "Images per inference batch; when not given, the backbone description's batch_size if it names one",
        DefaultValueFactory = _ => Backbone.DefaultBatchSize,
        CustomParser = WholeNumber,
        Validators = { Positive },
    };

    /// <summary>The <c>--batch-size</c> given, else the batch size the backbone's description prefers.</summary>
    public static int BatchSizeFor(ParseResult parse, Option<int> option, Backbone backbone) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : backbone.PreferredBatchSize;

    /// <summary><c>--images DIR</c>: one sub-folder per person.</summary>
    public static Option<string?> Images() => new("--images")
    {
        Description = "Image folder with one sub-folder per person (folder name = label)",
        HelpName = "DIR",
    };

    /// <summary><c>--manifest CSV</c>: header path,label[,split].</summary>
    public static Option<string?> Manifest() => new("--manifest")
    {
        Description = "CSV manifest with header path,label[,split]; paths relative to the CSV's folder or absolute",
        HelpName = "CSV",
    };

    /// <summary><c>--strict</c>: any bad image fails the run.</summary>
    public static Option<bool> Strict() => new("--strict")
    {
        Description = "Exit with code 1 if any image cannot be read (bad images are still skipped and listed) [default: off]",
    };

    /// <summary>Reads the image set named by <c>--images</c> or <c>--manifest</c> (exactly one of them).</summary>
    public static IReadOnlyList<LabelledImage> ReadImageSet(string? images, string? manifest, bool requireLabels = true, string? excludedFolder = null)
    {
        if ((images is null) == (manifest is null))
        {
            throw new UsageException("give exactly one of --images DIR or --manifest CSV");
        }

        return images is not null
            ? ImageFolderReader.Read(CommandRunner.RequireFolder(images, "image folder"), excludedFolder, includeTopLevel: !requireLabels)
            : ManifestReader.Read(CommandRunner.RequireFile(manifest!, "manifest"), requireLabels);
    }

    /// <summary>Validator: the value must be at least 1.</summary>
    public static void Positive(OptionResult result)
    {
        // A value that is not a number already carries the parser's own error, and reading it would throw.
        if (result.Tokens.Count > 0 && !int.TryParse(result.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return;
        }

        if (result.GetValueOrDefault<int>() < 1)
        {
            result.AddError($"{result.Option.Name} must be at least 1");
        }
    }

    /// <summary>
    /// Parser of whole-number options: one line of ours (<c>--epochs: 'ten' is not a whole number</c>) instead of
    /// System.CommandLine's, which names the .NET type.
    /// </summary>
    public static int WholeNumber(ArgumentResult result) => Parse(result, text => WholeNumberOf(result, text));

    /// <summary>Parser of decimal-number options (invariant culture: <c>0.001</c>, <c>1e-3</c>).</summary>
    public static double Number(ArgumentResult result) => Parse(result, text => ParseNumber(result, text));

    /// <summary>Parser of optional decimal-number options (no default).</summary>
    public static double? OptionalNumber(ArgumentResult result) => Parse<double?>(result, text => ParseNumber(result, text));

    /// <summary>Parser of optional whole-number options (no default).</summary>
    public static int? OptionalWholeNumber(ArgumentResult result) => Parse<int?>(result, text => WholeNumberOf(result, text));

    /// <summary>Parser of an option whose values are an enum's member names, any case; others name the choices in lower case.</summary>
    public static T Choice<T>(ArgumentResult result)
        where T : struct, Enum => Parse(result, text =>
        text.Length > 0 && char.IsLetter(text[0]) && Enum.TryParse(text, ignoreCase: true, out T value) && Enum.IsDefined(value)
            ? value
            : throw new FormatException($"{OptionName(result)}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}"));

    private static int WholeNumberOf(ArgumentResult result, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"{OptionName(result)}: '{text}' is not a whole number");

    private static double ParseNumber(ArgumentResult result, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new FormatException($"{OptionName(result)}: '{text}' is not a number");

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    private static T Parse<T>(ArgumentResult result, Func<string, T> parse)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        try
        {
            return parse(text);
        }
        catch (FormatException error)
        {
            result.AddError(error.Message);
            return default!;
        }
    }
}
