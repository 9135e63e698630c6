using System.Diagnostics;
using System.Globalization;

namespace FacePipeline.Head;

/// <summary>
/// Fits the head kind <see cref="TrainingOptions.Head"/> asks for. <c>auto</c> fits prototypes on the training rows
/// first (seconds), then the mlp within <see cref="TrainingOptions.AutoBudgetSeconds"/>, scores both on the same
/// validation rows and keeps the one with the higher macro recall, then accuracy; a tie keeps the mlp. The
/// comparison is paired (the same rows, every person in both galleries), so it stays fair when people have one or two
/// photos: the split then leaves one training photo to people with two and none to validation from people with one,
/// so it measures one-shot recognition for both kinds, with the one-photo people still in the gallery as
/// distractors. The kept prototypes are refitted on every non-test row (so they are at least as good as validated);
/// the mlp keeps the weights validated. Without validation rows nothing can be measured and auto keeps the prototypes;
/// an mlp that does not finish one epoch within the budget is left out the same way.
/// </summary>
public static class HeadFitter
{
    /// <summary>Fits the head.</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="options">Training options (validated here).</param>
    /// <param name="onEpoch">Called after every mlp epoch.</param>
    /// <param name="note">Receives progress lines (both kinds' figures and the choice).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="FacePipelineException">A person is labelled <c>unknown</c>, or training failed.</exception>
    public static TrainedHead Fit(TrainingSet data, TrainingOptions options, Action<EpochRecord>? onEpoch, Action<string> note, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(note);
        if (options.Head == HeadKind.Mlp)
        {
            TrainedHead mlp = HeadTrainer.Train(data, options, onEpoch, cancellationToken: cancellationToken);
            KindFigures? figures = Figures(mlp, data, options, cancellationToken);
            return mlp with { Selection = new HeadSelection(HeadKind.Mlp, HeadKind.Mlp, figures, null, "--head mlp", mlp.History.Count) };
        }

        (int[] train, int[] validation, int classesWithoutValidation) = HeadTrainer.SplitRows(data, options);
        var clock = Stopwatch.StartNew();
        (float[] prototypes, ValidationScore? prototypeScore) = PrototypeFitter.Fit(data, validation, cancellationToken);
        if (prototypeScore is not null)
        {
            note(string.Create(CultureInfo.InvariantCulture,
                $"train-head: prototype: validation macro recall {prototypeScore.MacroRecall:F4}, accuracy {prototypeScore.Accuracy:F4} ({validation.Length} images; fitted in {clock.Elapsed.TotalSeconds:F1} s)"));
        }

        if (options.Head == HeadKind.Prototype || validation.Length == 0)
        {
            string rule = options.Head == HeadKind.Prototype
                ? "--head prototype"
                : "no validation rows to measure on: auto keeps the prototype head, which needs no validation (use --head mlp for the mlp)";
            return Prototypes(data, prototypes, train, validation, classesWithoutValidation, prototypeScore, new HeadSelection(options.Head, HeadKind.Prototype, null, Figures(prototypeScore), rule));
        }

        return Compare(data, options, onEpoch, note, (train, validation, classesWithoutValidation), (prototypes, prototypeScore!), cancellationToken);
    }

    /// <summary>Auto: trains the mlp within the budget, scores it on the same rows as the prototypes and keeps the better.</summary>
    private static TrainedHead Compare(
        TrainingSet data, TrainingOptions options, Action<EpochRecord>? onEpoch, Action<string> note, (int[] Train, int[] Validation, int ClassesWithoutValidation) split, (float[] Prototypes, ValidationScore Score) prototype, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        bool cut = false;
        // The first epoch must end within the budget too (on 20 000 people under load one epoch took 15 minutes): past
        // it the mlp is stopped mid-epoch and left out; once an epoch has ended, only whole epochs are planned.
        using var firstEpochDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        firstEpochDeadline.CancelAfter(TimeSpan.FromSeconds(Math.Min(options.AutoBudgetSeconds, int.MaxValue / 1000.0)));
        bool late = false;
        TrainedHead? mlp = null;
        try
        {
            mlp = HeadTrainer.Train(data, options, onEpoch, e =>
            {
                firstEpochDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
                // The timer may fire after an epoch that ended late; the clock decides.
                late |= e.Epoch == 1 && clock.Elapsed.TotalSeconds > options.AutoBudgetSeconds;
                // Another epoch is expected to take as long as the last one.
                bool stop = late || (e.Epoch < options.Epochs && clock.Elapsed.TotalSeconds + e.Seconds > options.AutoBudgetSeconds);
                cut |= stop;
                return !stop;
            }, firstEpochDeadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            late = true;
        }

        if (late || mlp is null)
        {
            mlp?.Dispose();
            note(string.Create(CultureInfo.InvariantCulture,
                $"train-head: the mlp did not finish one epoch within auto's time budget of {options.AutoBudgetSeconds} s (--auto-budget); auto keeps prototype without measuring the mlp (--head mlp trains it fully)"));
            var unmeasured = new HeadSelection(HeadKind.Auto, HeadKind.Prototype, null, Figures(prototype.Score), "auto: the mlp did not finish one epoch within --auto-budget", 0, true);
            return Prototypes(data, prototype.Prototypes, split.Train, split.Validation, split.ClassesWithoutValidation, prototype.Score, unmeasured);
        }

        if (cut)
        {
            note(string.Create(CultureInfo.InvariantCulture,
                $"train-head: mlp stopped after {mlp.History.Count} of {options.Epochs} epochs by auto's time budget of {options.AutoBudgetSeconds} s (--auto-budget; --head mlp trains every epoch)"));
        }

        ValidationScore mlpScore;
        using (IHeadScorer scorer = mlp.Scorer())
        {
            mlpScore = ValidationScore.Of(scorer, data, split.Validation, cancellationToken);
        }

        note(string.Create(CultureInfo.InvariantCulture, $"train-head: mlp: validation macro recall {mlpScore.MacroRecall:F4}, accuracy {mlpScore.Accuracy:F4} ({split.Validation.Length} images)"));
        bool prototypeWins = prototype.Score.Beats(mlpScore);
        string rule = "auto: higher validation macro recall, then accuracy; a tie keeps mlp";
        var selection = new HeadSelection(HeadKind.Auto, prototypeWins ? HeadKind.Prototype : HeadKind.Mlp, Figures(mlpScore), Figures(prototype.Score), rule, mlp.History.Count, cut);
        note($"train-head: auto keeps {(prototypeWins ? "prototype" : "mlp")} ({rule})");
        if (!prototypeWins)
        {
            return mlp with { Selection = selection };
        }

        mlp.Dispose();
        return Prototypes(data, prototype.Prototypes, split.Train, split.Validation, split.ClassesWithoutValidation, prototype.Score, selection);
    }

    /// <summary>The prototype head: <paramref name="prototypes"/> fitted on every non-test row; the known-only threshold from the validation scores.</summary>
    private static TrainedHead Prototypes(
        TrainingSet data, float[] prototypes, int[] train, int[] validation, int classesWithoutValidation, ValidationScore? score, HeadSelection selection) =>
        new(
            [], data.FeatureLength, data.Labels, [], 0, null, score?.Accuracy, score is null ? null : UnknownThreshold.KnownOnly(score.CorrectScores),
            train.Length, validation.Length, classesWithoutValidation, data.TestRowsSkipped)
        {
            Kind = HeadKind.Prototype,
            Prototypes = prototypes,
            Selection = selection,
        };

    private static KindFigures? Figures(TrainedHead mlp, TrainingSet data, TrainingOptions options, CancellationToken cancellationToken)
    {
        (_, int[] validation, _) = HeadTrainer.SplitRows(data, options);
        if (validation.Length == 0)
        {
            return null;
        }

        using IHeadScorer scorer = mlp.Scorer();
        return Figures(ValidationScore.Of(scorer, data, validation, cancellationToken));
    }

    private static KindFigures? Figures(ValidationScore? score) => score is null ? null : new KindFigures(score.MacroRecall, score.Accuracy, score.Count);
}
