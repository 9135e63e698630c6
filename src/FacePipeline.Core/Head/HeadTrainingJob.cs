using System.Diagnostics;
using System.Globalization;

namespace FacePipeline.Head;

/// <summary>
/// What TrainHead does, from a feature cache to a head folder: load the rows, train, describe and write the head.
/// Progress lines go to a callback, so the program only parses options and prints.
/// </summary>
public static class HeadTrainingJob
{
    /// <summary>Trains a head on <paramref name="cacheFolder"/> and writes it to <paramref name="headFolder"/>.</summary>
    /// <param name="cacheFolder">Feature cache folder written by Extract.</param>
    /// <param name="headFolder">Head folder to write.</param>
    /// <param name="options">Training options (already validated by the caller).</param>
    /// <param name="overwrite">Replace an existing head folder once the new one is complete.</param>
    /// <param name="note">Receives one progress line at a time.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="HeadException">The folder exists without <paramref name="overwrite"/>, or training failed.</exception>
    public static async Task RunAsync(
        string cacheFolder, string headFolder, TrainingOptions options, bool overwrite, Action<string> note, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(note);
        HeadFolder.EnsureWritable(headFolder, overwrite, cacheFolder);
        note($"train-head: {string.Join(", ", Describe(options))}");

        long budget = options.MemoryBudgetBytes ?? TrainingMemory.DefaultBudgetBytes();
        TrainingSet data = await TrainingSet.LoadAsync(cacheFolder, options.Streaming, budget, cancellationToken);
        note($"train-head: {data.Count} rows ({data.TestRowsSkipped} test rows left out), {data.Labels.Count} labels, {data.FeatureLength} features from {data.Identity}");
        foreach (string warning in Dataset.LabelRules.CaseOnlyWarnings(data.Labels))
        {
            note(warning);
        }

        note(DescribeMemory(data, options, budget));
        var clock = Stopwatch.StartNew();
        using TrainedHead head = HeadTrainer.Train(data, options, e => note(FormatEpoch(e, options.Epochs)), cancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;
        if (head.ClassesWithoutValidation > 0)
        {
            note($"warning: {head.ClassesWithoutValidation} label(s) have a single training image and give none to validation");
        }

        HeadDescription description = HeadDescriptionBuilder.Build(head, data, options, cacheFolder);
        HeadFolder.Write(headFolder, head, description, overwrite, cacheFolder);
        if (description.SuggestedUnknownThreshold is double threshold)
        {
            note(string.Create(CultureInfo.InvariantCulture, $"train-head: suggested --unknown-threshold {threshold:F4} ({description.UnknownThresholdMethod})"));
        }

        string validation = head.ValidationAccuracy is double accuracy
            ? string.Create(CultureInfo.InvariantCulture, $"validation accuracy {accuracy:F4} ({head.ValidationCount} images, best epoch {head.BestEpoch})")
            : "no validation rows";
        note(string.Create(CultureInfo.InvariantCulture, $"train-head: {validation}; {head.History.Count} epochs in {seconds:F1} s; head written to {headFolder}"));
    }

    /// <summary>The effective options as <c>name=value</c> pairs, in the spelling of the command line.</summary>
    public static IEnumerable<string> Describe(TrainingOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return
        [
            $"epochs={o.Epochs}", $"batch-size={o.BatchSize}", string.Create(CultureInfo.InvariantCulture, $"lr={o.LearningRate}"),
            string.Create(CultureInfo.InvariantCulture, $"val-split={o.ValidationSplit}"), $"seed={o.Seed}", $"class-weights={o.ClassWeights.ToString().ToLowerInvariant()}",
            string.Create(CultureInfo.InvariantCulture, $"dropout={o.Dropout}"), $"patience={o.Patience}", $"standardize={o.Standardize.ToString().ToLowerInvariant()}", $"device={o.Device}",
            $"streaming={o.Streaming.ToString().ToLowerInvariant()}", $"memory-budget={(o.MemoryBudgetBytes is long b ? TrainingMemory.Mib(b) : "default")}",
        ];
    }

    /// <summary>Which mode runs and what its memory goes to.</summary>
    private static string DescribeMemory(TrainingSet data, TrainingOptions options, long budget)
    {
        string model = TrainingMemory.Mib(TrainingMemory.ModelBytes(data.FeatureLength, data.Labels.Count));
        return data.IsStreamed
            ? $"train-head: streaming from {data.RowGroupCount} row groups within the memory budget of {TrainingMemory.Mib(budget)} (shuffle buffer {HeadTrainer.ShuffleBufferRows(data, options.BatchSize)} rows); the head's own state adds {model}"
            : $"train-head: in memory, {TrainingMemory.Mib(TrainingMemory.InMemoryBytes(data.Count, data.FeatureLength, 0))} of the memory budget of {TrainingMemory.Mib(budget)}; the head's own state adds {model}";
    }

    private static string FormatEpoch(EpochRecord e, int epochs)
    {
        string validation = e.ValAccuracy is double accuracy
            ? string.Create(CultureInfo.InvariantCulture, $", val_loss {e.ValLoss:F4}, val_accuracy {accuracy:F4}")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{epochs}: loss {e.Loss:F4}, accuracy {e.Accuracy:F4}{validation} ({e.Seconds:F2} s)");
    }
}
