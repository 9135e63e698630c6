using FacePipeline.Storage;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Storage;

/// <summary>The one temp-then-rename scheme: names, writes, failed writes, folders and cleanup.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void A_temporary_name_is_hidden_beside_the_file_and_carries_the_process_id()
    {
        string path = temp.Combine("metrics.json");

        string temporary = AtomicFile.TemporaryPath(path);

        Assert.Equal(temp.Path, Path.GetDirectoryName(temporary));
        Assert.StartsWith($".metrics.json.tmp-{Environment.ProcessId}-", Path.GetFileName(temporary), StringComparison.Ordinal);
        Assert.Equal(Environment.ProcessId, AtomicFile.OwnerProcessId(temporary));
        Assert.NotEqual(temporary, AtomicFile.TemporaryPath(path));
        Assert.Null(AtomicFile.OwnerProcessId(path));
        Assert.Null(AtomicFile.OwnerProcessId(temp.Combine(".metrics.json.tmp")));
    }

    [Fact]
    public void A_write_replaces_the_file_and_a_failed_write_keeps_the_old_one_and_no_temporary()
    {
        string path = temp.Combine("a.csv");
        AtomicFile.Write(path, s => s.Write("old"u8));

        AtomicFile.Write(path, s => s.Write("new"u8));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("stop");
        }));

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["a.csv"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_folder_write_replaces_the_folder_whole()
    {
        string folder = temp.Combine("head");
        AtomicFolder.Write(folder, staging => File.WriteAllText(Path.Combine(staging, "old.txt"), "1"));

        AtomicFolder.Write(folder, staging => File.WriteAllText(Path.Combine(staging, "new.txt"), "2"));

        Assert.Equal(["new.txt"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal(["head"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    /// <inheritdoc/>
    public void Dispose() => temp.Dispose();
}
