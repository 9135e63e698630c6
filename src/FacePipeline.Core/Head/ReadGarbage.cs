namespace FacePipeline.Head;

/// <summary>
/// Keeps the garbage of row-group reads out of the peak. Each read allocates several blocks the size of the group's
/// features (Parquet.Net's page buffers and decoded levels), all garbage once the rows are copied out; left to itself
/// the GC let them pile up to gigabytes before a full collection (measured: 16 000 × 2 048 floats, a 125 MiB
/// matrix, peaked at 2.3 GB in memory, and streaming 240 MiB over a 32 MiB budget). A blocking collection once
/// <see cref="CollectAfterBytes"/> have been allocated costs milliseconds: the managed heap is a few arrays without
/// references (the matrix, the shuffle buffer), which the GC does not scan.
/// </summary>
internal static class ReadGarbage
{
    /// <summary>Bytes allocated between collections.</summary>
    public const long CollectAfterBytes = 16L << 20;

    private static long lastCollection;

    /// <summary>Collects when enough has been allocated since the last collection.</summary>
    public static void CollectIfDue()
    {
        long allocated = GC.GetTotalAllocatedBytes();
        if (allocated - lastCollection >= CollectAfterBytes)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            lastCollection = GC.GetTotalAllocatedBytes();
        }
    }
}
