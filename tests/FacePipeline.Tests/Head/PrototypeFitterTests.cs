using FacePipeline.Fixtures;
using FacePipeline.Head;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>
/// The prototype fit streamed under a budget that cannot hold the validation rows: a second pass reads them again, and
/// the prototypes and validation figures are exactly those of the one-pass fit that holds them.
/// </summary>
public sealed class PrototypeFitterTests : IDisposable
{
    private const int FeatureLength = 64;
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Two_passes_give_the_prototypes_and_figures_of_one_pass()
    {
        // 3 000 rows x 64 floats (750 KiB) in 500-row groups: 15 % validation is 450 rows (112.5 KiB).
        await SyntheticFeatureCache.WriteAsync(temp.Path, 3_000, FeatureLength, classes: 12, seed: 9);
        TrainingSet roomy = await TrainingSet.LoadAsync(temp.Path, StreamingMode.Always, 64L << 20);
        TrainingSet tight = await TrainingSet.LoadAsync(temp.Path, StreamingMode.Always, 400L << 10);
        int[] validation = HeadTrainer.SplitRows(roomy, new TrainingOptions()).Validation;
        Assert.Equal(validation, HeadTrainer.SplitRows(tight, new TrainingOptions()).Validation);
        Assert.InRange(validation.Length, 400, 500);

        (float[] held, ValidationScore? heldScore) = PrototypeFitter.Fit(roomy, validation);
        (float[] reread, ValidationScore? rereadScore) = PrototypeFitter.Fit(tight, validation);

        Assert.True(PrototypeFitter.HoldsValidation(roomy, validation.Length));
        Assert.False(PrototypeFitter.HoldsValidation(tight, validation.Length));
        Assert.Equal(held, reread);
        Assert.Equal(validation.Length, rereadScore!.Count);
        Assert.Equal(heldScore!.Accuracy, rereadScore.Accuracy);
        Assert.Equal(heldScore.MacroRecall, rereadScore.MacroRecall);
        Assert.Equal(heldScore.CorrectScores, rereadScore.CorrectScores);
    }

    public void Dispose() => temp.Dispose();
}
