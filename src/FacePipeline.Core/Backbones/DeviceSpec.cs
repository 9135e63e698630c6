using System.Globalization;

namespace FacePipeline.Backbones;

/// <summary>Where inference runs: <c>auto</c> (CUDA when it initialises, else CPU), <c>cpu</c>, or <c>cuda[:N]</c>.</summary>
/// <param name="Kind">The requested kind.</param>
/// <param name="CudaDeviceId">GPU ordinal for CUDA.</param>
public sealed record DeviceSpec(DeviceKind Kind, int CudaDeviceId = 0)
{
    /// <summary>CPU only.</summary>
    public static DeviceSpec Cpu { get; } = new(DeviceKind.Cpu);

    /// <summary>CUDA when available, otherwise CPU.</summary>
    public static DeviceSpec Auto { get; } = new(DeviceKind.Auto);

    /// <summary>Parses <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    /// <exception cref="FormatException">Any other text.</exception>
    public static DeviceSpec Parse(string text) =>
        TryParse(text, out DeviceSpec? device) ? device : throw new FormatException($"'{text}' is not a device; use auto, cpu, cuda or cuda:N");

    /// <summary>
    /// The one parser of device names (trimmed, any case): <c>auto</c>, <c>cpu</c>, <c>cuda</c> (= <c>cuda:0</c>) or
    /// <c>cuda:N</c>; used for the backbone and for training.
    /// </summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceSpec? device)
    {
        string value = (text ?? string.Empty).Trim().ToLowerInvariant();
        device = value switch
        {
            "auto" => Auto,
            "cpu" => Cpu,
            "cuda" => new DeviceSpec(DeviceKind.Cuda),
            _ when value.StartsWith("cuda:", StringComparison.Ordinal)
                && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int id) => new DeviceSpec(DeviceKind.Cuda, id),
            _ => null,
        };
        return device is not null;
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        _ => $"cuda:{CudaDeviceId}",
    };
}
