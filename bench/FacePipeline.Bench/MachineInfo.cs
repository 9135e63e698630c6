using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Bench;

/// <summary>What the numbers were measured on, read from /proc and the loaded assemblies.</summary>
internal sealed record MachineInfo(
    string Cpu,
    int Cores,
    double MemoryGb,
    string Date,
    string Os,
    string Dotnet,
    string OnnxRuntime,
    string TorchSharp,
    string CpuFlags)
{
    /// <summary>Reads the machine description now.</summary>
    public static MachineInfo Read()
    {
        string cpuinfo = ReadOrEmpty("/proc/cpuinfo");
        string cpu = Field(cpuinfo, "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        string flags = Field(cpuinfo, "flags") ?? string.Empty;
        string[] interesting = ["avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile"];
        string present = string.Join(' ', interesting.Where(f => flags.Split(' ').Contains(f)));
        string? memTotal = Field(ReadOrEmpty("/proc/meminfo"), "MemTotal");
        double memoryGb = memTotal is null
            ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9
            : double.Parse(memTotal.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) * 1024 / 1e9;
        string os = Field(ReadOrEmpty("/etc/os-release").Replace('=', ':'), "PRETTY_NAME")?.Trim('"') ?? RuntimeInformation.OSDescription;
        return new MachineInfo(
            cpu,
            Environment.ProcessorCount,
            Math.Round(memoryGb, 1),
            DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture),
            os,
            RuntimeInformation.FrameworkDescription,
            OrtEnv.Instance().GetVersionString(),
            Version(typeof(TorchSharp.torch).Assembly),
            present);
    }

    /// <summary>The first three fields of /proc/loadavg (1, 5 and 15 minute load averages).</summary>
    public static string LoadAverage()
    {
        string text = ReadOrEmpty("/proc/loadavg");
        return text.Length == 0 ? "unknown" : string.Join(' ', text.Split(' ').Take(3));
    }

    private static string Version(Assembly assembly) =>
        (assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown").Split('+')[0];

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static string? Field(string text, string key) =>
        text.Split('\n')
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim() == key)
            .Select(parts => parts[1].Trim())
            .FirstOrDefault();
}
