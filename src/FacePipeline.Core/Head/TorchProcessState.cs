using TorchSharp;

namespace FacePipeline.Head;

/// <summary>
/// The one place that sets libtorch's process-wide state: its intra-op thread count and its global random generator.
/// Both are shared by every training in the process, so two trainings at once would draw from one generator and
/// lose their determinism; that is why the tests that train run in one serial collection
/// (<c>TorchTrainingCollection</c>), and why the programs train one head at a time.
/// </summary>
public static class TorchProcessState
{
    /// <summary>Input width from which training uses every core (below it, one thread is faster).</summary>
    public const int ParallelFeatureLength = 4096;

    /// <summary>Prepares libtorch for a training on <paramref name="featureLength"/> inputs seeded with <paramref name="seed"/>.</summary>
    public static void PrepareTraining(int featureLength, int seed)
    {
        // A batch through a narrow head is too little work to split: with 512 inputs libtorch's worker threads spend
        // their time waiting on each other, and when other processes share the cores that waiting is what dominates
        // (measured on ORL, 20 epochs: two threads 1.9 s idle and 5.5 s with one core busy, one thread 1.6-2.0 s and
        // 2.3 s). Wide inputs (VGG16's 25 088) are worth all cores.
        torch.set_num_threads(featureLength >= ParallelFeatureLength ? Environment.ProcessorCount : 1);
        torch.manual_seed(seed);
    }
}
