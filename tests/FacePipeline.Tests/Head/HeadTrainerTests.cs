using FacePipeline.Backbones;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace FacePipeline.Tests.Head;

/// <summary>
/// Tests that train heads. They run alone: HeadTrainer seeds TorchSharp's process-wide generator, so a training in
/// another test class at the same time would draw from it and break the determinism these tests assert.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchTrainingCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "TorchSharp training";
}

/// <summary>The TorchSharp head on small synthetic features: learning, determinism, splits, options and the head folder.</summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class HeadTrainerTests : IDisposable
{
    private const int FeatureLength = 16;
    private static readonly FeatureIdentity Identity = HandWrittenPart.Identity("fixture", FeatureLength);

    private readonly TempFolder temp = new();

    [Fact]
    public void Separable_blobs_reach_100_percent_training_accuracy()
    {
        TrainingSet data = Blobs(classes: 4, rowsEach: 20, seed: 1);

        TrainedHead head = Train(data, new TrainingOptions { Epochs = 15, ValidationSplit = 0 });

        Assert.Equal(15, head.History.Count);
        Assert.Equal(1.0, head.History[^1].Accuracy);
        Assert.True(head.History[^1].Loss < head.History[0].Loss, "the loss went down");
        Assert.Equal(80, head.TrainCount);
        Assert.Equal(0, head.ValidationCount);
        Assert.Null(head.ValidationAccuracy);
        Assert.Null(head.History[^1].ValAccuracy);
        Assert.Null(head.SuggestedUnknownThreshold);
        Assert.Equal(["c0", "c1", "c2", "c3"], head.Labels);
        Assert.Equal(15, head.BestEpoch);
    }

    [Fact]
    public void The_same_seed_gives_identical_history_and_weights_and_another_seed_does_not()
    {
        TrainingSet data = Blobs(classes: 4, rowsEach: 12, seed: 2);
        var options = new TrainingOptions { Epochs = 4, BatchSize = 8, Seed = 5 };

        TrainedHead first = Train(data, options);
        TrainedHead second = Train(data, options);
        TrainedHead other = Train(data, options with { Seed = 6 });

        Assert.Equal(History(first), History(second));
        Assert.Equal(first.Weights.Keys.Order(), second.Weights.Keys.Order());
        foreach (string key in first.Weights.Keys)
        {
            Assert.Equal(first.Weights[key].data<float>().ToArray(), second.Weights[key].data<float>().ToArray());
        }

        Assert.NotEqual(History(first), History(other));
        Assert.NotEqual(first.Weights["fc1.weight"].data<float>().ToArray(), other.Weights["fc1.weight"].data<float>().ToArray());
        Assert.Equal(new[] { "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "feature_mean", "feature_std", "output.bias", "output.weight" }, first.Weights.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_stratified_split_keeps_single_images_in_training_and_counts_them()
    {
        // Class 0: 1 row, class 1: 2 rows, class 2: 10 rows.
        int[] classes = [0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2];

        (int[] train, int[] validation, int without) = StratifiedSplitter.Split(classes, 0.15, 42);

        Assert.Contains(0, train);
        Assert.Equal(1, without);
        Assert.Single(validation, r => classes[r] == 1);
        Assert.Single(train, r => classes[r] == 1);
        Assert.Equal(2, validation.Count(r => classes[r] == 2)); // round(0.15 × 10) = 2 (1.5 rounds away from zero)
        Assert.Equal(Enumerable.Range(0, classes.Length), train.Concat(validation).Order());
        Assert.Equal(train.Order(), train);
        Assert.Equal(validation.Order(), validation);
    }

    [Fact]
    public void The_stratified_split_is_deterministic_keeps_a_training_row_and_honours_zero()
    {
        int[] classes = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();

        (int[] train, int[] validation, _) = StratifiedSplitter.Split(classes, 0.25, 7);
        (int[] train2, int[] validation2, _) = StratifiedSplitter.Split(classes, 0.25, 7);
        (_, int[] validation3, _) = StratifiedSplitter.Split(classes, 0.25, 8);
        (int[] all, int[] none, int without) = StratifiedSplitter.Split(classes, 0, 7);
        (int[] keep, int[] most, _) = StratifiedSplitter.Split([0, 0, 1, 1], 0.9, 7);

        Assert.Equal(train, train2);
        Assert.Equal(validation, validation2);
        Assert.NotEqual(validation, validation3);
        Assert.Equal(15, validation.Length);
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(5, validation.Count(r => classes[r] == c)));
        Assert.Equal(60, all.Length);
        Assert.Empty(none);
        Assert.Equal(0, without);
        Assert.Equal(2, keep.Length);
        Assert.Equal(2, most.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplitter.Split(classes, 1, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplitter.Split(classes, -0.1, 7));
    }

    [Fact]
    public async Task Test_rows_are_left_out_and_add_no_labels()
    {
        await WriteCache(
            ("a1.png", "alice", "train", [1, 0, 0, 0]),
            ("a2.png", "alice", null, [2, 0, 0, 0]),
            ("b1.png", "bob", "Val", [0, 1, 0, 0]),
            ("c1.png", "carol", "test", [0, 0, 1, 0]),
            ("b2.png", "bob", " TEST ", [0, 2, 0, 0]));

        TrainingSet data = await TrainingSet.LoadAsync(temp.Path);

        Assert.Equal(["alice", "bob"], data.Labels);
        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.TestRowsSkipped);
        Assert.Equal([0, 0, 1], data.Classes);
        Assert.Equal([false, false, true], data.MarkedValidation);
        Assert.Equal([1f, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0], data.Features);
        Assert.Equal(4, data.FeatureLength);
    }

    [Fact]
    public async Task One_training_label_is_refused_even_when_test_rows_hold_others()
    {
        await WriteCache(("a1.png", "alice", null, [1, 0, 0, 0]), ("a2.png", "alice", "val", [2, 0, 0, 0]), ("b1.png", "bob", "test", [0, 1, 0, 0]));

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => TrainingSet.LoadAsync(temp.Path));

        Assert.Equal($"{temp.Path}: training rows hold 1 label(s); a classifier needs at least 2 people", error.Message);
    }

    [Fact]
    public async Task An_unknown_split_is_refused()
    {
        await WriteCache(("a1.png", "alice", "holdout", [1, 0, 0, 0]), ("b1.png", "bob", null, [0, 1, 0, 0]));

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => TrainingSet.LoadAsync(temp.Path));

        Assert.Equal($"{temp.Path}: row 'a1.png' has split 'holdout'; use train, val, test or leave it empty", error.Message);
    }

    [Fact]
    public void Rows_marked_val_are_the_validation_set()
    {
        TrainingSet blobs = Blobs(classes: 3, rowsEach: 6, seed: 3);
        bool[] marked = Enumerable.Range(0, blobs.Count).Select(i => i % 6 == 5).ToArray();
        TrainingSet data = TrainingSet.FromArrays(blobs.Features, FeatureLength, blobs.Classes.Select(c => blobs.Labels[c]).ToArray(), Identity, marked);

        (int[] train, int[] validation, int without) = HeadTrainer.SplitRows(data, new TrainingOptions { ValidationSplit = 0.5 });
        TrainedHead head = Train(data, new TrainingOptions { Epochs = 2 });

        Assert.Equal([5, 11, 17], validation);
        Assert.Equal(15, train.Length);
        Assert.Equal(0, without);
        Assert.Equal(3, head.ValidationCount);
        Assert.Equal(15, head.TrainCount);
        Assert.NotNull(head.History[^1].ValAccuracy);

        TrainingSet allVal = TrainingSet.FromArrays(blobs.Features, FeatureLength, blobs.Classes.Select(c => blobs.Labels[c]).ToArray(), Identity, Enumerable.Repeat(true, blobs.Count).ToArray());
        FacePipelineException error = Assert.Throws<FacePipelineException>(() => HeadTrainer.SplitRows(allVal, new TrainingOptions()));
        Assert.Equal("every row is marked val; mark some rows train or leave their split empty", error.Message);
    }

    [Fact]
    public void A_saved_head_loads_back_with_identical_probabilities()
    {
        TrainingSet data = Blobs(classes: 4, rowsEach: 10, seed: 4);
        var options = new TrainingOptions { Epochs = 8, ValidationSplit = 0.2 };
        TrainedHead trained = Train(data, options);
        string folder = temp.Combine("head");

        HeadFolder.Write(folder, trained, Describe(trained, data, options), overwrite: false);
        using HeadClassifier classifier = HeadClassifier.Load(folder);
        float[] loaded = classifier.Scores(data.Features, data.Count);

        float[] expected;
        using (var model = new HeadModel(FeatureLength, 4, 0))
        {
            model.load_state_dict(trained.Weights);
            model.eval();
            using var noGrad = torch.no_grad();
            using Tensor input = torch.tensor(data.Features, [data.Count, FeatureLength]);
            using Tensor logits = model.forward(input);
            using Tensor probabilities = nn.functional.softmax(logits, 1);
            expected = probabilities.data<float>().ToArray();
        }

        Assert.Equal(expected, loaded);
        Assert.Equal(["c0", "c1", "c2", "c3"], classifier.Labels);
        for (int row = 0; row < data.Count; row++)
        {
            Assert.Equal(1.0, loaded.AsSpan(row * 4, 4).ToArray().Sum(), 5);
        }

        Assert.Equal(
            ["head.json", "history.csv", "labels.json", "training-curves.png", "weights.bin"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["head"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
        FacePipelineException exists = Assert.Throws<FacePipelineException>(() => HeadFolder.Write(folder, trained, Describe(trained, data, options), overwrite: false));
        Assert.Equal($"{folder}: already exists; choose another --out or pass --overwrite to replace it", exists.Message);
    }

    [Fact]
    public void Balanced_class_weights_train_an_imbalanced_set_and_change_the_loss()
    {
        TrainingSet blobs = Blobs(classes: 3, rowsEach: 30, seed: 5);
        int[] keep = Enumerable.Range(0, blobs.Count).Where(i => blobs.Classes[i] == 0 || i % 30 < 3).ToArray();
        TrainingSet data = TrainingSet.FromArrays(
            keep.SelectMany(i => blobs.Features.Skip(i * FeatureLength).Take(FeatureLength)).ToArray(), FeatureLength, keep.Select(i => blobs.Labels[blobs.Classes[i]]).ToArray(), Identity);
        var options = new TrainingOptions { Epochs = 15, ValidationSplit = 0, BatchSize = 8 };

        TrainedHead plain = Train(data, options);
        TrainedHead balanced = Train(data, options with { ClassWeights = ClassWeighting.Balanced });

        Assert.Equal(36, data.Count);
        Assert.Equal(1.0, balanced.History[^1].Accuracy);
        Assert.NotEqual(plain.History[0].Loss, balanced.History[0].Loss);
    }

    [Fact]
    public void Patience_stops_early_and_keeps_the_best_epoch()
    {
        // Labels without any relation to the features: validation stops improving while training overfits.
        var random = new Random(11);
        float[] features = Enumerable.Range(0, 60 * FeatureLength).Select(_ => (float)random.NextDouble()).ToArray();
        string[] labels = Enumerable.Range(0, 60).Select(i => $"p{random.Next(4)}").ToArray();
        TrainingSet data = TrainingSet.FromArrays(features, FeatureLength, labels, Identity);

        TrainedHead head = Train(data, new TrainingOptions { Epochs = 200, Patience = 3, ValidationSplit = 0.3, LearningRate = 0.01 });

        Assert.True(head.History.Count < 200, "stopped early");
        Assert.Equal(head.BestEpoch + 3, head.History.Count);
        EpochRecord best = head.History[head.BestEpoch - 1];
        Assert.Equal(best.ValAccuracy, head.ValidationAccuracy);
        Assert.Equal(best.ValLoss!.Value, head.ValidationLoss!.Value, 5);
        Assert.All(head.History, e => Assert.True(e.ValAccuracy <= best.ValAccuracy, $"epoch {e.Epoch} was better than the kept one"));
    }

    [Fact]
    public void Cuda_without_the_cuda_package_says_which_package_to_reference()
    {
        TrainingSet data = Blobs(classes: 2, rowsEach: 4, seed: 6);

        FacePipelineException cuda = Assert.Throws<FacePipelineException>(() => Train(data, new TrainingOptions { Device = "cuda" }));
        FacePipelineException other = Assert.Throws<FacePipelineException>(() => Train(data, new TrainingOptions { Device = "gpu" }));
        FacePipelineException invalid = Assert.Throws<FacePipelineException>(() => Train(data, new TrainingOptions { Epochs = 0 }));

        Assert.Equal(
            "cuda: CUDA is not available to TorchSharp (this build references TorchSharp-cpu); reference TorchSharp-cuda-linux instead (see README, 'GPU') or use --device cpu",
            cuda.Message);
        Assert.Equal("--device 'gpu' is not a training device; use cpu, cuda or cuda:N", other.Message);
        Assert.Equal("--epochs and --batch-size must be at least 1", invalid.Message);
    }

    [Fact]
    public void The_matrix_size_is_rows_times_features_times_four_bytes_without_overflow()
    {
        Assert.Equal(40_140_800, TrainingSet.MatrixBytes(400, 25_088));
        Assert.Equal(100_352_000_000, TrainingSet.MatrixBytes(1_000_000, 25_088));
        Assert.Equal(0, TrainingSet.MatrixBytes(0, 512));
    }

    [Fact]
    public async Task A_cache_over_the_budget_is_refused_in_memory_before_its_features_are_read()
    {
        // 1000 rows that claim 2e9 features each: 8e12 bytes as float32, beyond any machine.
        FeatureIdentity huge = HandWrittenPart.Identity("huge", 2_000_000_000);
        await HandWrittenPart.WriteAsync(temp.Combine("part-huge.parquet"), huge, Enumerable.Range(0, 1000).Select(i => HandWrittenPart.Row($"r{i}", $"p{i % 2}", 1f)).ToArray());

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => TrainingSet.LoadAsync(temp.Path));

        // Even one row and a validation chunk of such rows exceed any budget: refused before the in-memory check.
        Assert.StartsWith($"{temp.Path}: memory budget ", error.Message, StringComparison.Ordinal);
        Assert.Contains(" is below what training on 2000000000 features and 2 labels needs: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(" MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cache_beyond_one_array_is_refused_in_memory_without_an_overflow_and_streamed_in_auto()
    {
        // 1100 × 2,000,000 = 2.2e9 floats (8.8 GB): more than one .NET array holds. On a machine with less memory the
        // memory check answers first; either way it is a FacePipelineException, never an OverflowException.
        FeatureIdentity wide = HandWrittenPart.Identity("wide", 2_000_000);
        await HandWrittenPart.WriteAsync(temp.Combine("part-wide.parquet"), wide, Enumerable.Range(0, 1100).Select(i => HandWrittenPart.Row($"r{i}", $"p{i % 2}", 1f)).ToArray());

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => TrainingSet.LoadAsync(temp.Path, StreamingMode.Never, long.MaxValue / 2));
        TrainingSet streamed = await TrainingSet.LoadAsync(temp.Path, StreamingMode.Auto, long.MaxValue / 2);

        Assert.Equal(
            $"{temp.Path}: 1100 rows × 2000000 features are 2200000000 values, more than one float32 array holds ({Array.MaxLength}); stream them (--streaming auto or always)",
            error.Message);
        Assert.True(streamed.IsStreamed);
    }

    public void Dispose() => temp.Dispose();

    private static TrainedHead Train(TrainingSet data, TrainingOptions options) => HeadTrainer.Train(data, options);

    private static List<(double, double, double?, double?)> History(TrainedHead head) =>
        head.History.Select(e => (e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy)).ToList();

    /// <summary>Gaussian blobs: class c centred at 4 on features 4c…4c+3, 0 elsewhere, noise σ 0.5.</summary>
    private static TrainingSet Blobs(int classes, int rowsEach, int seed)
    {
        var random = new Random(seed);
        var features = new List<float>();
        var labels = new List<string>();
        for (int row = 0; row < classes * rowsEach; row++)
        {
            int c = row % classes;
            for (int f = 0; f < FeatureLength; f++)
            {
                double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                features.Add((float)((f / 4 == c ? 4 : 0) + 0.5 * gaussian));
            }

            labels.Add($"c{c}");
        }

        return TrainingSet.FromArrays(features.ToArray(), FeatureLength, labels, Identity);
    }

    private static HeadDescription Describe(TrainedHead head, TrainingSet data, TrainingOptions options) =>
        HeadDescriptionBuilder.Build(head, data, options, "memory");

    private async Task WriteCache(params (string Path, string Label, string? Split, float[] Features)[] rows)
    {
        FeatureIdentity identity = HandWrittenPart.Identity("fixture", 4);
        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(temp.Combine("part-0.parquet"), identity, "test");
        foreach ((string path, string label, string? split, float[] features) in rows)
        {
            await writer.AddAsync(new FeatureRow(path, label, split, new string('0', 64), features));
        }

        await writer.CommitAsync();
    }
}
