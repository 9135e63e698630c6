using System.Diagnostics;
using System.Globalization;
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
    public const int ParallelFeatureLength = 4096;

    /// <summary>Trains a head.</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="options">Training options (validated here).</param>
    /// <param name="onEpoch">Called after every epoch (progress lines).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="HeadException">The device is unavailable or the data cannot be split.</exception>
    public static TrainedHead Train(TrainingSet data, TrainingOptions options, Action<EpochRecord>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new HeadException(error.Message, error);
        }

        Device device = TorchDevice(options.Device);
        // A batch through a narrow head is too little work to split: with 512 inputs libtorch's worker threads spend
        // their time waiting on each other, and when other processes share the cores that waiting is what dominates
        // (measured on ORL, 20 epochs: two threads 1.9 s idle and 5.5 s with one core busy, one thread 1.6-2.0 s and
        // 2.3 s). Wide inputs (VGG16's 25 088) are worth all cores.
        torch.set_num_threads(data.FeatureLength >= ParallelFeatureLength ? Environment.ProcessorCount : 1);
        torch.manual_seed(options.Seed);

        (int[] trainRows, int[] validationRows, int classesWithoutValidation) = SplitRows(data, options);
        int classes = data.Labels.Count;
        using var head = new HeadModel(data.FeatureLength, classes, options.Dropout);
        head.to(device);
        using Tensor allFeatures = torch.tensor(data.Features, [data.Count, data.FeatureLength]);
        using Tensor allClasses = torch.tensor(data.Classes.Select(c => (long)c).ToArray());
        using Tensor trainX = Rows(allFeatures, trainRows).to(device);
        using Tensor trainY = Rows(allClasses, trainRows).to(device);
        using Tensor validationX = Rows(allFeatures, validationRows).to(device);
        using Tensor validationY = Rows(allClasses, validationRows).to(device);

        if (options.Standardize)
        {
            using Tensor mean = trainX.mean([0]);
            // Constant features (std 0) would divide by zero: they are only centred.
            using Tensor std = trainX.std(0, unbiased: false).clamp_min(1e-6);
            head.SetStandardisation(mean, std);
        }

        using Tensor? weights = options.ClassWeights == ClassWeighting.Balanced ? BalancedWeights(data.Classes, trainRows, classes).to(device) : null;
        using var optimizer = torch.optim.Adam(head.parameters(), lr: options.LearningRate);
        var history = new List<EpochRecord>();
        var shuffle = new Random(options.Seed);
        int[] order = Enumerable.Range(0, trainRows.Length).ToArray();
        Dictionary<string, Tensor>? best = null;
        int bestEpoch = 0;
        double bestAccuracy = double.NegativeInfinity;
        double bestLoss = double.PositiveInfinity;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            head.train();
            shuffle.Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                int count = Math.Min(options.BatchSize, order.Length - start);
                Tensor batch = torch.tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray()).to(device);
                Tensor x = trainX.index_select(0, batch);
                Tensor y = trainY.index_select(0, batch);
                Tensor logits = head.forward(x);
                Tensor loss = nn.functional.cross_entropy(logits, y, weights);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>() * count;
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }

            (double? validationLoss, double? validationAccuracy) = validationRows.Length > 0 ? Score(head, validationX, validationY, weights) : (null, null);
            var record = new EpochRecord(epoch, lossSum / trainRows.Length, (double)correct / trainRows.Length, validationLoss, validationAccuracy, clock.Elapsed.TotalSeconds);
            history.Add(record);
            onEpoch?.Invoke(record);
            EnsureFinite(record);

            if (options.Patience > 0 && validationAccuracy is not null)
            {
                if (validationAccuracy > bestAccuracy || (validationAccuracy == bestAccuracy && validationLoss < bestLoss))
                {
                    bestAccuracy = validationAccuracy.Value;
                    bestLoss = validationLoss!.Value;
                    bestEpoch = epoch;
                    DisposeAll(best);
                    best = head.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
                }
                else if (epoch - bestEpoch >= options.Patience)
                {
                    break;
                }
            }
        }

        if (best is not null)
        {
            head.load_state_dict(best);
            DisposeAll(best);
        }
        else
        {
            bestEpoch = history.Count;
        }

        (double? finalLoss, double? finalAccuracy) = validationRows.Length > 0 ? Score(head, validationX, validationY, weights) : (null, null);
        double? threshold = validationRows.Length > 0 ? SuggestThreshold(head, validationX, validationY) : null;
        head.to(CPU);
        var result = new TrainedHead(
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
        return result;
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
        string name = device.Trim().ToLowerInvariant();
        if (name == "cpu")
        {
            return CPU;
        }

        if (name.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
            {
                throw new HeadException(
                    $"{device}: CUDA is not available to TorchSharp (this build references TorchSharp-cpu); reference TorchSharp-cuda-linux instead (see README, 'GPU') or use --device cpu");
            }

            return torch.device(name);
        }

        throw new HeadException($"{device}: not a training device; use cpu or cuda[:N]");
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
}
