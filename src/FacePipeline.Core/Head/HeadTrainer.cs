using System.Diagnostics;
using System.Globalization;
using FacePipeline.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Head;

/// <summary>
/// Trains a <see cref="HeadModel"/> on a <see cref="TrainingSet"/>: Adam on categorical cross-entropy over logits
/// (numerically stable log-softmax), shuffled mini-batches, optional class weights and early stopping that keeps the
/// best validation weights. Same seed and machine → identical history and weights.
/// </summary>
public static class HeadTrainer
{
    /// <summary>Trains a head, in memory or streamed from the cache as <paramref name="data"/> was loaded.</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="options">Training options (validated here).</param>
    /// <param name="onEpoch">Called after every epoch (progress lines).</param>
    /// <param name="continueAfter">Asked after every epoch whether to run another (auto's time budget); null to run them all.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="FacePipelineException">The device is unavailable, the data cannot be split, or the budget is too small to stream.</exception>
    public static TrainedHead Train(
        TrainingSet data, TrainingOptions options, Action<EpochRecord>? onEpoch = null, Func<EpochRecord, bool>? continueAfter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Validate(options);
        Device device = TorchDevice(options.Device);
        TorchProcessState.PrepareTraining(data.FeatureLength, options.Seed);
        (int[] trainRows, int[] validationRows, int classesWithoutValidation) = SplitRows(data, options);
        using var head = new HeadModel(data.FeatureLength, data.Labels.Count, options.Dropout);
        head.to(device);
        using ITrainingRows rows = data.IsStreamed
            ? new StreamedRows(data, trainRows, validationRows, ShuffleBufferRows(data, options.BatchSize), device)
            : new InMemoryRows(data, trainRows, validationRows, device);
        if (options.Standardize)
        {
            Standardise(head, rows.TrainMoments(cancellationToken), device);
        }

        using Tensor? weights = options.ClassWeights == ClassWeighting.Balanced ? BalancedWeights(data.Classes, trainRows, data.Labels.Count).to(device) : null;
        (List<EpochRecord> history, int bestEpoch) = RunEpochs(head, rows, weights, options, onEpoch, continueAfter, cancellationToken);
        Validation? final = rows.ValidationCount > 0 ? Validate(head, rows, weights, cancellationToken) : null;
        head.to(CPU);
        return new TrainedHead(
            head.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone()),
            data.FeatureLength,
            data.Labels,
            history,
            bestEpoch,
            final?.Loss,
            final?.Accuracy,
            final?.SuggestThreshold(),
            trainRows.Length,
            validationRows.Length,
            classesWithoutValidation,
            data.TestRowsSkipped);
    }

    /// <summary>
    /// Rows of the shuffle buffer a streamed training of <paramref name="data"/> uses: what its budget leaves beside
    /// one read, one batch and one validation chunk.
    /// </summary>
    /// <exception cref="FacePipelineException">The budget does not hold even one batch beside a row-group read.</exception>
    public static int ShuffleBufferRows(TrainingSet data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        long rows = TrainingMemory.ShuffleBufferRows(data.StreamingBudgetBytes, data.FeatureLength, data.ReadBytes, batchSize);
        if (rows < batchSize)
        {
            long needed = TrainingMemory.StreamingFixedBytes(data.FeatureLength, data.ReadBytes, batchSize) + TrainingSet.MatrixBytes(batchSize, data.FeatureLength);
            string read = data.ReadsInSlices ? $"slices of {data.RowsPerRead} rows read page by page" : $"row groups of {data.LargestRowGroup} rows";
            string fixedPart = data.FixedBytes == 0 ? string.Empty : $" beside {TrainingMemory.Mib(data.FixedBytes)} fixed (runtime, libtorch, the head's state and any --unknowns faces)";
            throw new FacePipelineException(
                $"memory budget {TrainingMemory.Mib(data.StreamingBudgetBytes + data.FixedBytes)} is too small to stream {data.FeatureLength} features in {read}{fixedPart} (one read, a batch and a shuffle buffer of one batch need {TrainingMemory.Mib(needed)}); raise --memory-budget to at least {TrainingMemory.Mib(data.FixedBytes + needed)}");
        }

        return (int)Math.Min(rows, data.Count);
    }

    /// <summary>The rows for training and validation: the <c>val</c> rows if any row has that split, else a stratified split.</summary>
    public static (int[] Train, int[] Validation, int ClassesWithoutValidation) SplitRows(TrainingSet data, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (data.MarkedValidation.Any(v => v))
        {
            int[] validation = Enumerable.Range(0, data.Count).Where(i => data.MarkedValidation[i]).ToArray();
            int[] train = Enumerable.Range(0, data.Count).Where(i => !data.MarkedValidation[i]).ToArray();
            if (train.Length == 0)
            {
                throw new FacePipelineException("every row is marked val; mark some rows train or leave their split empty");
            }

            // A person seen only in validation can never be predicted: balanced weights divide by its zero training
            // count (a "divergence"), and unweighted its validation rows are all wrong without a word.
            var trained = new HashSet<int>(train.Select(i => data.Classes[i]));
            string[] untrained = data.Labels.Where((_, c) => !trained.Contains(c)).ToArray();
            if (untrained.Length > 0)
            {
                string named = string.Join(", ", untrained.Take(5).Select(l => $"'{l}'")) + (untrained.Length > 5 ? $" and {untrained.Length - 5} more" : string.Empty);
                throw new FacePipelineException(
                    $"{untrained.Length} label(s) have only val rows and no row to train on: {named}; mark some of their rows train (or leave the split empty), or leave them out of the cache");
            }

            return (train, validation, 0);
        }

        return StratifiedSplitter.Split(data.Classes, options.ValidationSplit, options.Seed);
    }

    /// <summary>A non-finite loss never recovers (Adam's moments are NaN from then on): refuse the head.</summary>
    private static void EnsureFinite(EpochRecord record)
    {
        (string what, double value) = !double.IsFinite(record.Loss)
            ? ("loss", record.Loss)
            : ("validation loss", record.ValLoss ?? 0);
        if (!double.IsFinite(value))
        {
            throw new FacePipelineException(string.Create(CultureInfo.InvariantCulture,
                $"training diverged: {what} {value} in epoch {record.Epoch}; lower --lr, keep the input standardisation (no --no-standardize) or check the cache for extreme feature values"));
        }
    }

    private static Device TorchDevice(string device)
    {
        DeviceSpec spec = DeviceSpec.TryParse(device, out DeviceSpec? parsed) && parsed.Kind != DeviceKind.Auto
            ? parsed
            : throw new FacePipelineException($"{device}: not a training device; use cpu or cuda[:N]");
        if (spec.Kind == DeviceKind.Cpu)
        {
            return CPU;
        }

        if (!torch.cuda.is_available())
        {
            throw new FacePipelineException(
                $"{device}: CUDA is not available to TorchSharp (this build references TorchSharp-cpu); reference TorchSharp-cuda-linux instead (see README, 'GPU') or use --device cpu");
        }

        return torch.device(spec.ToString());
    }

    private static Tensor BalancedWeights(int[] classOfRow, int[] trainRows, int classes)
    {
        var counts = new double[classes];
        foreach (int row in trainRows)
        {
            counts[classOfRow[row]]++;
        }

        float[] weights = counts.Select(c => c > 0 ? (float)(trainRows.Length / (classes * c)) : 0f).ToArray();
        return torch.tensor(weights);
    }

    /// <summary>
    /// One pass over the validation rows in chunks: the loss is the weighted mean of the per-row losses (Σ w·l / Σ w,
    /// as cross-entropy's mean reduction over the whole set), so chunking does not change it.
    /// </summary>
    private static Validation Validate(HeadModel head, ITrainingRows rows, Tensor? weights, CancellationToken cancellationToken)
    {
        head.eval();
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        double weightSum = 0;
        long correct = 0;
        var confident = new List<float>();
        foreach (RowBatch batch in rows.ValidationBatches(cancellationToken))
        {
            using var scope = torch.NewDisposeScope();
            (Tensor x, Tensor y) = rows.ToTensors(batch);
            Tensor logits = head.forward(x);
            lossSum += nn.functional.cross_entropy(logits, y, weights, reduction: nn.Reduction.Sum).item<float>();
            weightSum += weights is null ? batch.Count : weights.index_select(0, y).sum().item<float>();
            (Tensor top, Tensor predicted) = nn.functional.softmax(logits, 1).max(1);
            Tensor right = predicted.eq(y);
            correct += right.sum().item<long>();
            confident.AddRange(top.masked_select(right).data<float>());
        }

        return new Validation(lossSum / weightSum, (double)correct / rows.ValidationCount, confident);
    }

    private static void Validate(TrainingOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new FacePipelineException(error.Message, error);
        }
    }

    private static void Standardise(HeadModel head, FeatureMoments moments, Device device)
    {
        using Tensor mean = torch.tensor(moments.Mean()).to(device);
        using Tensor std = torch.tensor(moments.Std()).to(device);
        head.SetStandardisation(mean, std);
    }

    /// <summary>The epochs with early stopping; the head ends with the kept weights. Returns the history and the kept epoch.</summary>
    private static (List<EpochRecord> History, int BestEpoch) RunEpochs(
        HeadModel head, ITrainingRows rows, Tensor? weights, TrainingOptions options, Action<EpochRecord>? onEpoch, Func<EpochRecord, bool>? continueAfter, CancellationToken cancellationToken)
    {
        using var optimizer = torch.optim.Adam(head.parameters(), lr: options.LearningRate);
        var history = new List<EpochRecord>();
        var shuffle = new Random(options.Seed);
        var best = new BestWeights();
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                (double lossSum, long correct) = RunEpoch(head, rows, shuffle, weights, optimizer, options.BatchSize, cancellationToken);
                Validation? validation = rows.ValidationCount > 0 ? Validate(head, rows, weights, cancellationToken) : null;
                (double? validationLoss, double? validationAccuracy) = (validation?.Loss, validation?.Accuracy);
                var record = new EpochRecord(epoch, lossSum / rows.TrainCount, (double)correct / rows.TrainCount, validationLoss, validationAccuracy, clock.Elapsed.TotalSeconds);
                history.Add(record);
                onEpoch?.Invoke(record);
                EnsureFinite(record);
                if (options.Patience > 0 && validationAccuracy is not null && !best.Offer(head, epoch, validationLoss!.Value, validationAccuracy.Value, options.Patience))
                {
                    break;
                }

                if (continueAfter?.Invoke(record) == false)
                {
                    break;
                }
            }

            return (history, best.Restore(head) ?? history.Count);
        }
        finally
        {
            best.Dispose();
        }
    }

    /// <summary>One pass over the shuffled training rows; returns the summed loss and the correct count.</summary>
    private static (double LossSum, long Correct) RunEpoch(
        HeadModel head, ITrainingRows rows, Random shuffle, Tensor? weights, optim.Optimizer optimizer, int batchSize, CancellationToken cancellationToken)
    {
        head.train();
        double lossSum = 0;
        long correct = 0;
        long batches = 0;
        foreach (RowBatch batch in rows.TrainBatches(shuffle, batchSize, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Some tensor wrappers of an optimisation step escape the dispose scope and free their native memory only
            // when finalised; with little managed allocation no GC comes, and the resident memory grew by about
            // 70 MB/s (measured: 16 000 × 2 048 floats in memory, 2 GB after one epoch). A full collection every
            // 64 batches (milliseconds: the managed heap is a few large arrays without references) bounds it.
            if (++batches % 64 == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            using var scope = torch.NewDisposeScope();
            (Tensor x, Tensor y) = rows.ToTensors(batch);
            Tensor logits = head.forward(x);
            Tensor loss = nn.functional.cross_entropy(logits, y, weights);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>() * batch.Count;
            correct += logits.argmax(1).eq(y).sum().item<long>();
        }

        return (lossSum, correct);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
        {
            return;
        }

        foreach (Tensor tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }

    /// <summary>A validation pass: loss, accuracy and the top-1 probabilities of the rows recognised correctly.</summary>
    private sealed record Validation(double Loss, double Accuracy, List<float> Confident)
    {
        /// <summary>
        /// The suggested <c>--unknown-threshold</c>: the 5th percentile of the top-1 probability over correctly
        /// recognised validation images, so about 95 % of known faces recognised correctly are kept while less
        /// confident answers can be reported as unknown. Null when no validation image was recognised.
        /// </summary>
        public double? SuggestThreshold()
        {
            if (Confident.Count == 0)
            {
                return null;
            }

            float[] sorted = Confident.Order().ToArray();
            return sorted[(int)Math.Floor(0.05 * (sorted.Length - 1))];
        }
    }

    /// <summary>Early stopping: the best validation weights so far (higher accuracy, then lower loss).</summary>
    private sealed class BestWeights : IDisposable
    {
        private Dictionary<string, Tensor>? weights;
        private int epoch;
        private double accuracy = double.NegativeInfinity;
        private double loss = double.PositiveInfinity;

        /// <summary>Keeps the head's weights when they are better; false when training should stop.</summary>
        public bool Offer(HeadModel head, int currentEpoch, double validationLoss, double validationAccuracy, int patience)
        {
            if (validationAccuracy > accuracy || (validationAccuracy == accuracy && validationLoss < loss))
            {
                accuracy = validationAccuracy;
                loss = validationLoss;
                epoch = currentEpoch;
                DisposeAll(weights);
                weights = head.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
                return true;
            }

            return currentEpoch - epoch < patience;
        }

        /// <summary>Loads the kept weights into the head and returns their epoch; null when none were kept.</summary>
        public int? Restore(HeadModel head)
        {
            if (weights is null)
            {
                return null;
            }

            head.load_state_dict(weights);
            return epoch;
        }

        public void Dispose() => DisposeAll(weights);
    }
}
