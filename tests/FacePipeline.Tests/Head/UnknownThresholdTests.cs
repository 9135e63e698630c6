using FacePipeline.Head;
using Xunit;

namespace FacePipeline.Tests.Head;

/// <summary>The stranger calibration's quantile, on synthetic scores whose answer is known.</summary>
public sealed class UnknownThresholdTests
{
    [Fact]
    public void The_threshold_lets_exactly_the_target_share_of_1000_distinct_scores_through()
    {
        // Scores 0.001 … 1.000 in a scrambled order; at 1 % exactly the ten highest (0.991 … 1.000) may pass.
        float[] scores = [.. Enumerable.Range(1, 1000).Select(i => i / 1000f).OrderBy(s => (s * 7919) % 1)];

        StrangerCalibration calibration = UnknownThreshold.Calibrate(scores, 0.01, "strangers");

        Assert.Equal(10, calibration.Accepted);
        Assert.Equal(0.01, calibration.FarReached);
        Assert.Equal(10, scores.Count(s => s >= calibration.Threshold));
        Assert.True(calibration.Threshold > 0.990f && calibration.Threshold <= 0.991f, $"threshold {calibration.Threshold}");
        Assert.Equal(Math.BitIncrement((double)0.990f), calibration.Threshold);
        Assert.Equal(1000, calibration.Count);
        Assert.False(calibration.TooFew);
    }

    [Fact]
    public void Ties_at_the_quantile_are_refused_together_so_the_rate_stays_at_most_the_target()
    {
        // n = 10, F = 0.2: two may pass, but the 2nd and 3rd highest tie at 0.8, so only the 0.9 passes.
        float[] scores = [0.9f, 0.8f, 0.8f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0.1f, 0f];

        StrangerCalibration calibration = UnknownThreshold.Calibrate(scores, 0.2, "strangers");

        Assert.Equal(1, calibration.Accepted);
        Assert.Equal(0.1, calibration.FarReached);
        Assert.True(calibration.TooFew, "10 faces are fewer than 10 / 0.2 = 50");
    }

    [Fact]
    public void A_target_below_one_face_refuses_every_stranger_and_too_few_is_flagged_below_ten_over_f()
    {
        float[] scores = [.. Enumerable.Range(0, 500).Select(i => i / 500f)];

        StrangerCalibration strict = UnknownThreshold.Calibrate(scores, 0.001, "strangers");
        StrangerCalibration enough = UnknownThreshold.Calibrate(scores, 0.02, "strangers");

        Assert.Equal(0, strict.Accepted);
        Assert.True(strict.Threshold > scores.Max());
        Assert.True(strict.TooFew, "500 < 10 / 0.001");
        Assert.False(enough.TooFew, "500 = 10 / 0.02");
        Assert.Equal(10, enough.Accepted);
    }

    [Fact]
    public void The_known_only_rule_is_the_5th_percentile_of_correct_scores()
    {
        float[] correct = [.. Enumerable.Range(0, 101).Select(i => i / 100f)];

        Assert.Equal(0.05f, UnknownThreshold.KnownOnly(correct));
        Assert.Null(UnknownThreshold.KnownOnly([]));
    }
}
