namespace FacePipeline.FeatureCache;

/// <summary>
/// Excludes concurrent writers of one shard of a cache: the writer holds the shard's lock file
/// (<see cref="FeatureCacheLayout.LockFileName"/>) open with <see cref="FileShare.None"/> for its whole run. .NET
/// takes an exclusive <c>flock</c> on Unix for that (a lock held by the open file, so it is released by the kernel
/// when the process dies, even by SIGKILL) and a sharing lock on Windows; it excludes other processes and other
/// handles of the same process. The file itself stays: deleting a lock file races with the next writer opening it.
/// </summary>
public sealed class ShardLock : IDisposable
{
    private readonly FileStream? stream;

    private ShardLock(FileStream? stream)
    {
        this.stream = stream;
    }

    /// <summary>Takes the lock of the shard of <paramref name="prefix"/> in <paramref name="folder"/>.</summary>
    /// <param name="folder">The cache folder (exists).</param>
    /// <param name="prefix">The shard's part prefix.</param>
    /// <param name="shardName">The shard as people write it (<c>0/1</c>), for the message.</param>
    /// <exception cref="FacePipelineException">Another process (or handle) writes this shard now.</exception>
    public static ShardLock Acquire(string folder, string prefix, string shardName)
    {
        string path = Path.Combine(folder, FeatureCacheLayout.LockFileName(prefix));
        try
        {
            // Read access is enough for the lock and works on a cache made read-only after its lock file was created.
            return new ShardLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None));
        }
        catch (UnauthorizedAccessException) when (!File.Exists(path))
        {
            // A folder where the lock file cannot be created is one where no part can be written either.
            return new ShardLock(null);
        }
        catch (IOException error) when (error is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            throw new FacePipelineException(
                $"{folder}: another Extract is writing shard {shardName} of this cache now ({Path.GetFileName(path)} is locked); wait for it to finish, or use another --out folder",
                error);
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => stream?.Dispose();
}
