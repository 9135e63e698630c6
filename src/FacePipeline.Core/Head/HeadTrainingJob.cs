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
    /// <param name="unknownsFolder">A cache of faces of people who must not be recognised, to calibrate the unknown threshold on; null for the known-only rule.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="FacePipelineException">The folder exists without <paramref name="overwrite"/>, the strangers do not fit the training cache, or training failed.</exception>
    public static async Task RunAsync(
        string cacheFolder, string headFolder, TrainingOptions options, bool overwrite, Action<string> note, string? unknownsFolder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(note);
        HeadFolder.EnsureWritable(headFolder, overwrite, cacheFolder);
        note($"train-head: {string.Join(", ", Describe(options))}");

        long budget = options.MemoryBudgetBytes ?? TrainingMemory.DefaultBudgetBytes();
        NativeArenas.Cap();
        // Prototypes need one pass and no order: under auto they are always streamed, so the rows are never held
        // (100 000 × 512 in memory peaked at 1.2 GB; streamed, memory is the sums, the prototypes and the validation rows).
        StreamingMode mode = options.Head == HeadKind.Prototype && options.Streaming == StreamingMode.Auto ? StreamingMode.Always : options.Streaming;
        // The strangers' faces are held for the calibration, so they are part of what the budget must hold besides the rows.
        long strangerBytes = unknownsFolder is null ? 0 : await StrangerFaces.BytesAsync(unknownsFolder, cancellationToken);
        TrainingSet data = await TrainingSet.LoadAsync(
            cacheFolder, mode, budget, (featureLength, classes) => TrainingMemory.ProcessFixedBytes(featureLength, classes, options.Head) + strangerBytes, cancellationToken);
        note($"train-head: {data.Count} rows ({data.TestRowsSkipped} test rows left out), {data.Labels.Count} labels, {data.FeatureLength} features from {data.Identity}");
        foreach (string warning in Dataset.LabelRules.CaseOnlyWarnings(data.Labels))
        {
            note(warning);
        }

        note(DescribeMemory(data, options, budget, strangerBytes));
        StrangerFaces? strangers = unknownsFolder is null ? null : await StrangerFaces.LoadAsync(unknownsFolder, data.Identity, data.Labels, cancellationToken);
        var clock = Stopwatch.StartNew();
        using TrainedHead head = Calibrate(HeadFitter.Fit(data, options, e => note(FormatEpoch(e, options.Epochs)), note, cancellationToken), strangers, options.TargetFar);
        double seconds = clock.Elapsed.TotalSeconds;
        if (head.ClassesWithoutValidation > 0)
        {
            note($"warning: {head.ClassesWithoutValidation} label(s) have a single training image and give none to validation");
        }

        HeadDescription description = HeadDescriptionBuilder.Build(head, data, options, cacheFolder);
        HeadFolder.Write(headFolder, head, description, overwrite, cacheFolder);
        if (description.SuggestedUnknownThreshold is double threshold)
        {
            note(string.Create(CultureInfo.InvariantCulture, $"train-head: unknown threshold {threshold:F4} ({description.UnknownThresholdMethod})"));
        }
        else
        {
            note("train-head: no unknown threshold: no validation rows to set one from known faces, and not calibrated against strangers (--unknowns CACHE_DIR); Predict names every face unless given --unknown-threshold");
        }

        string validation = head.ValidationAccuracy is double accuracy
            ? string.Create(CultureInfo.InvariantCulture, $"validation accuracy {accuracy:F4} ({head.ValidationCount} images{(head.Kind == HeadKind.Mlp ? $", best epoch {head.BestEpoch}" : string.Empty)})")
            : "no validation rows";
        string kind = head.Kind == HeadKind.Prototype ? $"prototype head of {head.Labels.Count} people" : $"mlp head, {head.History.Count} epochs";
        note(string.Create(CultureInfo.InvariantCulture, $"train-head: {validation}; {kind} in {seconds:F1} s; head written to {headFolder}"));
    }

    /// <summary>Sets the head's threshold from the strangers' scores, when there are strangers.</summary>
    private static TrainedHead Calibrate(TrainedHead head, StrangerFaces? strangers, double targetFar)
    {
        if (strangers is null)
        {
            return head;
        }

        using IHeadScorer scorer = head.Scorer();
        StrangerCalibration calibration = UnknownThreshold.Calibrate(strangers.TopScores(scorer), targetFar, strangers.Folder);
        return head with { SuggestedUnknownThreshold = calibration.Threshold, Strangers = calibration };
    }

    /// <summary>The effective options as <c>name=value</c> pairs, in the spelling of the command line.</summary>
    public static IEnumerable<string> Describe(TrainingOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return
        [
            $"head={o.Head.ToString().ToLowerInvariant()}", string.Create(CultureInfo.InvariantCulture, $"auto-budget={o.AutoBudgetSeconds}"), $"epochs={o.Epochs}", $"batch-size={o.BatchSize}", string.Create(CultureInfo.InvariantCulture, $"lr={o.LearningRate}"),
            string.Create(CultureInfo.InvariantCulture, $"val-split={o.ValidationSplit}"), $"seed={o.Seed}", $"class-weights={o.ClassWeights.ToString().ToLowerInvariant()}",
            string.Create(CultureInfo.InvariantCulture, $"dropout={o.Dropout}"), $"patience={o.Patience}", $"standardize={o.Standardize.ToString().ToLowerInvariant()}", $"device={o.Device}",
            $"streaming={o.Streaming.ToString().ToLowerInvariant()}", $"memory-budget={(o.MemoryBudgetBytes is long b ? TrainingMemory.Mib(b) : "default")}",
        ];
    }

    /// <summary>Which mode runs and what its memory goes to.</summary>
    private static string DescribeMemory(TrainingSet data, TrainingOptions options, long budget, long strangerBytes)
    {
        string strangers = strangerBytes == 0 ? string.Empty : $", the strangers' faces {TrainingMemory.Mib(strangerBytes)}";
        string fixedPart = $"{TrainingMemory.Mib(data.FixedBytes)} fixed (runtime and libtorch {TrainingMemory.Mib(TrainingMemory.RuntimeBytes(options.Head))}, the head's state {TrainingMemory.Mib(TrainingMemory.HeadStateBytes(data.FeatureLength, data.Labels.Count, options.Head))}{strangers})";
        string reads = data.ReadsInSlices ? $", row groups read page by page in slices of {data.RowsPerRead} rows" : string.Empty;
        if (options.Head == HeadKind.Prototype && data.IsStreamed)
        {
            long validationRows = (long)(data.Count * options.ValidationSplit);
            string validation = $"{TrainingMemory.Mib(TrainingSet.MatrixBytes(validationRows, data.FeatureLength))} at --val-split {options.ValidationSplit.ToString(CultureInfo.InvariantCulture)}";
            return PrototypeFitter.HoldsValidation(data, validationRows)
                ? $"train-head: prototypes in one pass over {data.RowGroupCount} row groups{reads} within the memory budget of {TrainingMemory.Mib(budget)}: {fixedPart}, the validation rows held ({validation})"
                : $"train-head: prototypes in two passes over {data.RowGroupCount} row groups{reads} within the memory budget of {TrainingMemory.Mib(budget)}: {fixedPart}; the validation rows ({validation}) do not fit beside them, so they are read again and scored chunk by chunk";
        }
        return data.IsStreamed
            ? $"train-head: streaming from {data.RowGroupCount} row groups within the memory budget of {TrainingMemory.Mib(budget)}: {fixedPart}, the rest for the rows (shuffle buffer {HeadTrainer.ShuffleBufferRows(data, options.BatchSize)} rows{reads})"
            : $"train-head: in memory within the memory budget of {TrainingMemory.Mib(budget)}: {fixedPart}, {TrainingMemory.Mib(TrainingMemory.InMemoryBytes(data.Count, data.FeatureLength, data.ReadBytes))} for the rows";
    }

    private static string FormatEpoch(EpochRecord e, int epochs)
    {
        string validation = e.ValAccuracy is double accuracy
            ? string.Create(CultureInfo.InvariantCulture, $", val_loss {e.ValLoss:F4}, val_accuracy {accuracy:F4}")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{epochs}: loss {e.Loss:F4}, accuracy {e.Accuracy:F4}{validation} ({e.Seconds:F2} s)");
    }
}
