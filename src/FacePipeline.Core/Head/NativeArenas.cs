using System.Runtime.InteropServices;

namespace FacePipeline.Head;

/// <summary>
/// Caps glibc's malloc arenas for the training process, so the memory budget also bounds libtorch's native heap: glibc
/// opens a new arena whenever a thread finds the current one locked (up to 8 per core), and each keeps the memory its
/// threads freed. On a busy machine libtorch's threads and the readers' contend more, the likely reason (not proven)
/// why TrainHead on one 8 000 × 2 048 row group peaked at 320 MiB alone and at 513 MiB during the full test suite
/// (2-core Debian 12 VM, 2026-12-03). Two arenas are enough for TrainHead's few allocating threads.
/// </summary>
internal static class NativeArenas
{
    /// <summary>glibc's <c>M_ARENA_MAX</c> parameter of mallopt(3).</summary>
    private const int ArenaMaxParameter = -8;

    /// <summary>Arenas allowed: the main one and one for the other threads.</summary>
    private const int MaxArenas = 2;

    /// <summary>Applies the cap where the C library is glibc (elsewhere, e.g. musl or another OS, nothing changes).</summary>
    internal static void Cap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = mallopt(ArenaMaxParameter, MaxArenas);
        }
        catch (Exception error) when (error is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc: its allocator has no arenas to cap.
        }
    }

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SA1300, IDE1006 // The C function's own name.
    private static extern int mallopt(int parameter, int value);
#pragma warning restore SA1300, IDE1006
}
