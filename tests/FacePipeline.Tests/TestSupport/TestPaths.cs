namespace FacePipeline.Tests.TestSupport;

/// <summary>Paths inside the repository, found from the test assembly's folder.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding FacePipeline.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The bundled ORL faces.</summary>
    public static string OrlFaces => Path.Combine(RepoRoot, "data", "orl-faces");

    /// <summary>One ORL image.</summary>
    public static string OrlImage(int person, int image) => Path.Combine(OrlFaces, $"s{person}", $"{image}.pgm");

    private static string FindRoot()
    {
        string? folder = AppContext.BaseDirectory;
        while (folder is not null && !File.Exists(Path.Combine(folder, "FacePipeline.sln")))
        {
            folder = Path.GetDirectoryName(folder);
        }

        return folder ?? throw new InvalidOperationException("FacePipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
