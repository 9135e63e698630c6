using Xunit;

namespace FacePipeline.Tests.Deploy;

/// <summary>A [Fact] skipped, with the reason, where a private Slurm cluster cannot run (xunit 2 has no runtime skip).</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> from <see cref="PrivateSlurmCluster.SkipReason"/>.</summary>
    public SlurmFactAttribute()
    {
        if (PrivateSlurmCluster.SkipReason is string reason)
        {
            Skip = $"no private Slurm cluster: {reason}";
        }
    }
}
