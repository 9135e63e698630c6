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
    /// <summary>Input width from which training uses every core (below it, one thread is faster).</summary>
    public const int ParallelFeatureLength = TorchProcessState.ParallelFeatureLength;

    /// <summary>Trains a head.</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="options">Training options (validated here).</param>
    /// <param name="onEpoch">Called after every epoch (progress lines).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="HeadException">The device is unavailable or the data cannot be split.</exception>
    public static TrainedHead Train(TrainingSet data, TrainingOptions options, Action<EpochRecord>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        Validate(options);
        Device device = TorchDevice(options.Device);
        TorchProcessState.PrepareTraining(data.FeatureLength, options.Seed);
        (int[] trainRows, int[] validationRows, int classesWithoutValidation) = SplitRows(data, options);
        using var head = new HeadModel(data.FeatureLength, data.Labels.Count, options.Dropout);
        head.to(device);
        using var rows = new RowTensors(data, trainRows, validationRows, device);
        if (options.Standardize)
        {
            Standardise(head, rows.TrainX);
        }

        using Tensor? weights = options.ClassWeights == ClassWeighting.Balanced ? BalancedWeights(data.Classes, trainRows, data.Labels.Count).to(device) : null;
        (List<EpochRecord> history, int bestEpoch) = RunEpochs(head, rows, weights, options, onEpoch, cancellationToken);
        (double? finalLoss, double? finalAccuracy) = rows.HasValidation ? Score(head, rows.ValidationX, rows.ValidationY, weights) : (null, null);
        double? threshold = rows.HasValidation ? SuggestThreshold(head, rows.ValidationX, rows.ValidationY) : null;
        head.to(CPU);
        return new TrainedHead(
            head.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone()),
            data.FeatureLength,
            data.Labels,
            history,
            bestEpoch,
            finalLoss,
            finalAccuracy,
            threshold,
            trainRows.Length,
            validationRows.Length,
            classesWithoutValidation,
            data.TestRowsSkipped);
    }

    /// <summary>The rows for training and validation: the <c>val</c> rows if any row has that split, else a stratified split.</summary>
    public static (int[] Train, int[] Validation, int ClassesWithoutValidation) SplitRows(TrainingSet data, TrainingOptions options)
    {
        if (data.MarkedValidation.Any(v => v))
        {
            int[] validation = Enumerable.Range(0, data.Count).Where(i => data.MarkedValidation[i]).ToArray();
            int[] train = Enumerable.Range(0, data.Count).Where(i => !data.MarkedValidation[i]).ToArray();
            if (train.Length == 0)
            {
                throw new HeadException("every row is marked val; mark some rows train or leave their split empty");
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
            throw new HeadException(string.Create(CultureInfo.InvariantCulture,
                $"training diverged: {what} {value} in epoch {record.Epoch}; lower --lr, keep the input standardisation (no --no-standardize) or check the cache for extreme feature values"));
        }
    }

    private static Device TorchDevice(string device)
    {
        DeviceSpec spec = DeviceSpec.TryParse(device, out DeviceSpec? parsed) && parsed.Kind != DeviceKind.Auto
            ? parsed
            : throw new HeadException($"{device}: not a training device; use cpu or cuda[:N]");
        if (spec.Kind == DeviceKind.Cpu)
        {
            return CPU;
        }

        if (!torch.cuda.is_available())
        {
            throw new HeadException(
                $"{device}: CUDA is not available to TorchSharp (this build references TorchSharp-cpu); reference TorchSharp-cuda-linux instead (see README, 'GPU') or use --device cpu");
        }

        return torch.device(spec.ToString());
    }

    private static Tensor Rows(Tensor source, int[] rows) =>
        source.index_select(0, torch.tensor(rows.Select(r => (long)r).ToArray()));

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

    private static (double? Loss, double? Accuracy) Score(HeadModel head, Tensor x, Tensor y, Tensor? weights)
    {
        head.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Tensor logits = head.forward(x);
        double loss = nn.functional.cross_entropy(logits, y, weights).item<float>();
        double accuracy = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        return (loss, accuracy);
    }

    /// <summary>
    /// The suggested <c>--unknown-threshold</c>: the 5th percentile of the top-1 probability over correctly
    /// recognised validation images, so about 95 % of known faces recognised correctly are kept while less confident
    /// answers can be reported as unknown. Null when no validation image was recognised.
    /// </summary>
    private static double? SuggestThreshold(HeadModel head, Tensor x, Tensor y)
    {
        head.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Tensor probabilities = nn.functional.softmax(head.forward(x), 1);
        (Tensor top, Tensor predicted) = probabilities.max(1);
        float[] confident = top.masked_select(predicted.eq(y)).data<float>().ToArray();
        if (confident.Length == 0)
        {
            return null;
        }

        Array.Sort(confident);
        return confident[(int)Math.Floor(0.05 * (confident.Length - 1))];
    }

    private static void Validate(TrainingOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new HeadException(error.Message, error);
        }
    }

    private static void Standardise(HeadModel head, Tensor trainX)
    {
        using Tensor mean = trainX.mean([0]);
        // Constant features (std 0) would divide by zero: they are only centred.
        using Tensor std = trainX.std(0, unbiased: false).clamp_min(1e-6);
        head.SetStandardisation(mean, std);
    }

    /// <summary>The epochs with early stopping; the head ends with the kept weights. Returns the history and the kept epoch.</summary>
    private static (List<EpochRecord> History, int BestEpoch) RunEpochs(
        HeadModel head, RowTensors rows, Tensor? weights, TrainingOptions options, Action<EpochRecord>? onEpoch, CancellationToken cancellationToken)
    {
        using var optimizer = torch.optim.Adam(head.parameters(), lr: options.LearningRate);
        var history = new List<EpochRecord>();
        var shuffle = new Random(options.Seed);
        int[] order = Enumerable.Range(0, rows.TrainCount).ToArray();
        var best = new BestWeights();
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                shuffle.Shuffle(order);
                (double lossSum, long correct) = RunEpoch(head, rows, order, weights, optimizer, options.BatchSize, cancellationToken);
                (double? validationLoss, double? validationAccuracy) = rows.HasValidation ? Score(head, rows.ValidationX, rows.ValidationY, weights) : (null, null);
                var record = new EpochRecord(epoch, lossSum / rows.TrainCount, (double)correct / rows.TrainCount, validationLoss, validationAccuracy, clock.Elapsed.TotalSeconds);
                history.Add(record);
                onEpoch?.Invoke(record);
                EnsureFinite(record);
                if (options.Patience > 0 && validationAccuracy is not null && !best.Offer(head, epoch, validationLoss!.Value, validationAccuracy.Value, options.Patience))
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
        HeadModel head, RowTensors rows, int[] order, Tensor? weights, optim.Optimizer optimizer, int batchSize, CancellationToken cancellationToken)
    {
        head.train();
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(batchSize, order.Length - start);
            Tensor batch = torch.tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray()).to(rows.Device);
            Tensor x = rows.TrainX.index_select(0, batch);
            Tensor y = rows.TrainY.index_select(0, batch);
            Tensor logits = head.forward(x);
            Tensor loss = nn.functional.cross_entropy(logits, y, weights);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>() * count;
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

    /// <summary>The training and validation rows as tensors on the training device.</summary>
    private sealed class RowTensors : IDisposable
    {
        public RowTensors(TrainingSet data, int[] trainRows, int[] validationRows, Device device)
        {
            Device = device;
            TrainCount = trainRows.Length;
            HasValidation = validationRows.Length > 0;
            using Tensor allFeatures = torch.tensor(data.Features, [data.Count, data.FeatureLength]);
            using Tensor allClasses = torch.tensor(data.Classes.Select(c => (long)c).ToArray());
            TrainX = Rows(allFeatures, trainRows).to(device);
            TrainY = Rows(allClasses, trainRows).to(device);
            ValidationX = Rows(allFeatures, validationRows).to(device);
            ValidationY = Rows(allClasses, validationRows).to(device);
        }

        public Device Device { get; }

        public int TrainCount { get; }

        public bool HasValidation { get; }

        public Tensor TrainX { get; }

        public Tensor TrainY { get; }

        public Tensor ValidationX { get; }

        public Tensor ValidationY { get; }

        public void Dispose()
        {
            TrainX.Dispose();
            TrainY.Dispose();
            ValidationX.Dispose();
            ValidationY.Dispose();
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
