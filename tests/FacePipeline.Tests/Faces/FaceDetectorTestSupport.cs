using FacePipeline.Backbones;
using FacePipeline.Faces;
using FacePipeline.Tests.TestSupport;

namespace FacePipeline.Tests.Faces;

/// <summary>The bundled detectors as the build copies them beside the tests, one session each for the whole test run.</summary>
public sealed class FaceDetectorTestSupport : IDisposable
{
    private readonly Dictionary<string, FaceDetectorSession> sessions = [];
    private readonly Lock gate = new();

    /// <summary>The catalog over the test assembly's own models folder (what the build ships).</summary>
    public static FaceDetectorCatalog Catalog { get; } = new([Path.Combine(AppContext.BaseDirectory, "models")]);

    /// <summary>The LFW sample committed with the tests.</summary>
    public static string LfwFixture => Path.Combine(TestPaths.RepoRoot, "tests", "FacePipeline.Tests", "Faces", "fixtures", "lfw");

    /// <summary>An open CPU session for the detector called <paramref name="name"/>.</summary>
    public FaceDetectorSession Session(string name)
    {
        lock (gate)
        {
            if (!sessions.TryGetValue(name, out FaceDetectorSession? session))
            {
                session = FaceDetectorSession.Open(Catalog.Resolve(name), DeviceSpec.Cpu, intraOpThreads: 1, out _);
                sessions[name] = session;
            }

            return session;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (FaceDetectorSession session in sessions.Values)
        {
            session.Dispose();
        }
    }
}
