using Xunit;

namespace FacePipeline.Tests.Export;

/// <summary>A [Theory] that is skipped outside Linux (the export script is bash).</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> outside Linux.</summary>
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only (bash script).";
        }
    }
}
