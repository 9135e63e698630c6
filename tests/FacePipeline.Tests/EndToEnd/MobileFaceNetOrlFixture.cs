using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.EndToEnd;

/// <summary>
/// Extract over the ORL-7/3 manifest with the bundled MobileFaceNet and the default face stage (auto: detect with
/// blazeface-front and align onto the ArcFace template), then TrainHead with its defaults.
/// </summary>
public sealed class MobileFaceNetOrlFixture : IAsyncLifetime, IDisposable
{
    private readonly TempFolder temp = new();

    /// <summary>The feature cache.</summary>
    public string Cache => temp.Combine("cache");

    /// <summary>The trained head.</summary>
    public string Head => temp.Combine("head");

    /// <summary>What Extract printed.</summary>
    public CliRun Extraction { get; private set; } = null!;

    /// <summary>What TrainHead printed.</summary>
    public CliRun Training { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Extraction = await CliRun.Extract("--manifest", OrlPipelineFixture.Manifest, "--out", Cache, "--model", "mobilefacenet", "--device", "cpu");
        Training = await CliRun.TrainHead("--features", Cache, "--out", Head);
    }

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose() => temp.Dispose();
}
