using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.EndToEnd;

/// <summary>
/// Runs the real stages once for the end-to-end tests: Extract over the bundled ORL faces (protocol ORL-7/3 manifest,
/// 400 images) with the bundled ImageNet ResNet18, then TrainHead with its defaults.
/// </summary>
public sealed class OrlPipelineFixture : IAsyncLifetime, IDisposable
{
    private readonly TempFolder temp = new();

    /// <summary>The ORL-7/3 manifest in the repository.</summary>
    public static string Manifest => Path.Combine(TestPaths.RepoRoot, "data", "orl-7-3.csv");

    /// <summary>The feature cache.</summary>
    public string Cache => temp.Combine("cache");

    /// <summary>The trained head.</summary>
    public string Head => temp.Combine("head");

    /// <summary>A scratch folder for tests.</summary>
    public TempFolder Temp => temp;

    /// <summary>What Extract printed.</summary>
    public CliRun Extraction { get; private set; } = null!;

    /// <summary>What TrainHead printed.</summary>
    public CliRun Training { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Extraction = await CliRun.Extract("--manifest", Manifest, "--out", Cache, "--model", "resnet18", "--device", "cpu");
        Training = await CliRun.TrainHead("--features", Cache, "--out", Head, "--head", "mlp");
    }

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose() => temp.Dispose();
}

/// <summary>The collection sharing one <see cref="OrlPipelineFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class OrlPipelineCollection : ICollectionFixture<OrlPipelineFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "ORL pipeline";
}
