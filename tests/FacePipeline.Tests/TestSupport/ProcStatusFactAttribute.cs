using Xunit;

namespace FacePipeline.Tests.TestSupport;

/// <summary>A [Fact] skipped, with the reason, where a process's peak RSS cannot be read from /proc (not Linux).</summary>
public sealed class ProcStatusFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when /proc/self/status is missing.</summary>
    public ProcStatusFactAttribute()
    {
        if (!File.Exists("/proc/self/status"))
        {
            Skip = "peak RSS is read from /proc/PID/status (VmHWM), which this system lacks";
        }
    }
}
