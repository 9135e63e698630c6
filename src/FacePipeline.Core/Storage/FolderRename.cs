using System.Runtime.InteropServices;

namespace FacePipeline.Storage;

/// <summary>
/// The two folder renames POSIX rename(2) cannot do atomically, through Linux's renameat2(2) (glibc 2.28+): a move
/// that fails when the destination exists, and an exchange of two folders, so no reader ever finds the destination
/// missing. Where renameat2 is missing (another OS, an old kernel or a file system without the flags) the callers fall
/// back to plain moves.
/// </summary>
internal static class FolderRename
{
    private const int CurrentDirectory = -100;
    private const uint NoReplace = 1;
    private const uint Exchange = 2;
    private const int FileExists = 17;
    private const int NoSuchFile = 2;

    /// <summary>The outcome of one renameat2 call.</summary>
    internal enum Result
    {
        /// <summary>Renamed.</summary>
        Done,

        /// <summary>The destination exists (no-replace) or does not (exchange).</summary>
        Refused,

        /// <summary>renameat2 or the flag is not available here; use a plain move.</summary>
        Unsupported,
    }

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/> unless that exists, atomically.</summary>
    internal static Result MoveNoReplace(string source, string destination) => Rename(source, destination, NoReplace, FileExists);

    /// <summary>Swaps the folders <paramref name="first"/> and <paramref name="second"/> atomically.</summary>
    internal static Result Swap(string first, string second) => Rename(first, second, Exchange, NoSuchFile);

    private static Result Rename(string source, string destination, uint flags, int refusal)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Result.Unsupported;
        }

        try
        {
            if (renameat2(CurrentDirectory, source, CurrentDirectory, destination, flags) == 0)
            {
                return Result.Done;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return Result.Unsupported;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == refusal ? Result.Refused
            : errno is 22 or 38 or 95 ? Result.Unsupported // EINVAL, ENOSYS, EOPNOTSUPP: no such flag here
            : throw new IOException($"{destination}: cannot rename {source} into place ({Marshal.GetPInvokeErrorMessage(errno)})");
    }

    // Linux paths are UTF-8 bytes, hence LPUTF8Str; CA2101 takes any non-UTF-16 string for a lossy ANSI one.
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SA1300, IDE1006, CA2101 // The C function's own name; see above.
    private static extern int renameat2(
        int sourceDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string source, int destinationDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string destination, uint flags);
#pragma warning restore SA1300, IDE1006, CA2101
}
