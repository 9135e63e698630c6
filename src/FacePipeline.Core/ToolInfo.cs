using System.Reflection;

namespace FacePipeline;

/// <summary>The tool's own identity, recorded in caches, heads and reports.</summary>
public static class ToolInfo
{
    /// <summary>Version of the FacePipeline core library (informational version without build metadata).</summary>
    public static string Version { get; } =
        (typeof(ToolInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
