// ElfWeakVersionPatcher: marks one symbol-version requirement of an ELF64 little-endian
// shared object as weak (VER_FLG_WEAK in the Vernaux entry of .gnu.version_r).
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and
// therefore requires GLIBCXX_3.4.32, which Debian 12's libstdc++ (GLIBCXX_3.4.30) lacks. The only
// symbol bound to that version is _ZSt21ios_base_library_initv, a link-time marker with no
// relocation against it, so a weak requirement lets the dynamic loader accept the library.
//
// This one file is compiled in two places:
//   * by MSBuild's RoslynCodeTaskFactory (build/TorchSharpNativeFix.targets), against the
//     .NET Standard 2.0 reference assemblies and with no preprocessor symbols defined, so the
//     MSBuild task at the bottom (inside #if !NET) is included there;
//   * by the test project (<Compile Include=... />), where NET is defined and the task is left out
//     (the test project has no reference to the MSBuild assemblies).
// Keep it BCL-only and .NET Standard 2.0 compatible (no Span, no BinaryPrimitives, no records).
#nullable enable

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace FacePipeline.Build
{
    /// <summary>Outcome of <see cref="ElfWeakVersionPatcher.MarkVersionWeak"/>.</summary>
    public enum PatchResult
    {
        /// <summary>The file has no requirement on that version: nothing to do.</summary>
        VersionNotRequired = 0,

        /// <summary>The requirement was already weak: the file was not written.</summary>
        AlreadyWeak = 1,

        /// <summary>The requirement was marked weak and the file rewritten.</summary>
        Patched = 2,
    }

    /// <summary>One Vernaux entry of .gnu.version_r: a version required from a needed library.</summary>
    public sealed class ElfVersionRequirement
    {
        internal ElfVersionRequirement(string library, string version, ushort flags, ushort index, long flagsFileOffset)
        {
            Library = library;
            Version = version;
            Flags = flags;
            Index = index;
            FlagsFileOffset = flagsFileOffset;
        }

        /// <summary>The needed library (vn_file), e.g. <c>libstdc++.so.6</c>.</summary>
        public string Library { get; }

        /// <summary>The version name (vna_name), e.g. <c>GLIBCXX_3.4.32</c>.</summary>
        public string Version { get; }

        /// <summary>vna_flags.</summary>
        public ushort Flags { get; }

        /// <summary>vna_other: the index used by .gnu.version (versym) entries.</summary>
        public ushort Index { get; }

        /// <summary>True when VER_FLG_WEAK is set.</summary>
        public bool IsWeak => (Flags & ElfWeakVersionPatcher.VerFlgWeak) != 0;

        internal long FlagsFileOffset { get; }

        /// <inheritdoc />
        public override string ToString() => Library + " " + Version + (IsWeak ? " (weak)" : string.Empty);
    }

    /// <summary>Minimal ELF64 little-endian reader/patcher for symbol-version sections.</summary>
    public static class ElfWeakVersionPatcher
    {
        /// <summary>VER_FLG_WEAK.</summary>
        public const ushort VerFlgWeak = 0x2;

        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const int Elf64HeaderSize = 64;
        private const int Elf64SectionHeaderSize = 64;

        private static readonly string[] FallbackLibStdCxxPaths =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        };

        private static readonly string[] LdconfigCandidates = { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" };

        /// <summary>
        /// Sets VER_FLG_WEAK on the Vernaux entry named <paramref name="versionName"/> (for every needed
        /// library that lists it). Idempotent: if already weak, the file is not touched. The file is
        /// rewritten through a temporary copy in the same directory and an atomic rename, so hard or
        /// symbolic links to other copies (e.g. the NuGet cache) are never modified; the original file
        /// mode and last-write time are kept.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is not an ELF file or is malformed.</exception>
        /// <exception cref="NotSupportedException">The file is ELF but not ELF64 little-endian.</exception>
        public static PatchResult MarkVersionWeak(string soPath, string versionName)
        {
            RequireArgument(soPath, nameof(soPath));
            RequireArgument(versionName, nameof(versionName));

            var offsets = new List<long>();
            bool found = false;
            foreach (ElfVersionRequirement req in ReadVersionRequirements(soPath))
            {
                if (!string.Equals(req.Version, versionName, StringComparison.Ordinal))
                {
                    continue;
                }

                found = true;
                if (!req.IsWeak)
                {
                    offsets.Add(req.FlagsFileOffset);
                }
            }

            if (!found)
            {
                return PatchResult.VersionNotRequired;
            }

            if (offsets.Count == 0)
            {
                return PatchResult.AlreadyWeak;
            }

            string fullPath = Path.GetFullPath(soPath);
            string directory = Path.GetDirectoryName(fullPath) ?? ".";
            string tempPath = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            DateTime lastWriteUtc = File.GetLastWriteTimeUtc(fullPath);
            try
            {
                // File.Copy keeps the Unix permission bits of the source on .NET (Core).
                File.Copy(fullPath, tempPath, overwrite: false);
                using (var stream = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                    var buffer = new byte[2];
                    foreach (long offset in offsets)
                    {
                        stream.Seek(offset, SeekOrigin.Begin);
                        ReadExactly(stream, buffer, 0, 2, fullPath);
                        ushort flags = (ushort)(buffer[0] | (buffer[1] << 8) | VerFlgWeak);
                        buffer[0] = (byte)flags;
                        buffer[1] = (byte)(flags >> 8);
                        stream.Seek(offset, SeekOrigin.Begin);
                        stream.Write(buffer, 0, 2);
                    }

                    stream.Flush(flushToDisk: true);
                }

                // Same size and same timestamp as the package's copy: MSBuild's Copy with
                // SkipUnchangedFiles then leaves the patched file alone on incremental builds.
                File.SetLastWriteTimeUtc(tempPath, lastWriteUtc);

                // rename(2) on Unix: atomic, replaces the directory entry (breaks hard links).
                File.Replace(tempPath, fullPath, destinationBackupFileName: null);
            }
            finally
            {
                if (File.Exists(tempPath))
                {
                    File.Delete(tempPath);
                }
            }

            return PatchResult.Patched;
        }

        /// <summary>True when the file requires <paramref name="versionName"/> and every such requirement is weak.</summary>
        public static bool IsVersionRequirementWeak(string soPath, string versionName)
        {
            bool found = false;
            foreach (ElfVersionRequirement req in ReadVersionRequirements(soPath))
            {
                if (string.Equals(req.Version, versionName, StringComparison.Ordinal))
                {
                    if (!req.IsWeak)
                    {
                        return false;
                    }

                    found = true;
                }
            }

            return found;
        }

        /// <summary>All Vernaux entries of .gnu.version_r (empty when the file has none).</summary>
        /// <exception cref="InvalidDataException">The file is not an ELF file or is malformed.</exception>
        /// <exception cref="NotSupportedException">The file is ELF but not ELF64 little-endian.</exception>
        public static IReadOnlyList<ElfVersionRequirement> ReadVersionRequirements(string soPath)
        {
            RequireArgument(soPath, nameof(soPath));
            var result = new List<ElfVersionRequirement>();
            using (var stream = new FileStream(soPath, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                SectionHeader[] sections = ReadSectionHeaders(stream, soPath);
                foreach (SectionHeader verneed in sections)
                {
                    if (verneed.Type != ShtGnuVerneed)
                    {
                        continue;
                    }

                    byte[] strtab = ReadLinkedStringTable(stream, sections, verneed, soPath);
                    byte[] data = ReadSection(stream, verneed, soPath);

                    // sh_info holds the number of Verneed entries; follow vn_next as well, bounded.
                    long pos = 0;
                    uint remaining = verneed.Info == 0 ? uint.MaxValue : verneed.Info;
                    int guard = 0;
                    while (remaining-- > 0)
                    {
                        CheckRange(data, pos, 16, soPath, ".gnu.version_r Verneed");
                        ushort cnt = ReadU16(data, pos + 2);
                        string file = ReadString(strtab, ReadU32(data, pos + 4), soPath);
                        uint aux = ReadU32(data, pos + 8);
                        uint next = ReadU32(data, pos + 12);

                        long auxPos = pos + aux;
                        for (int i = 0; i < cnt; i++)
                        {
                            CheckRange(data, auxPos, 16, soPath, ".gnu.version_r Vernaux");
                            ushort flags = ReadU16(data, auxPos + 4);
                            ushort other = ReadU16(data, auxPos + 6);
                            string name = ReadString(strtab, ReadU32(data, auxPos + 8), soPath);
                            result.Add(new ElfVersionRequirement(file, name, flags, other, (long)verneed.Offset + auxPos + 4));
                            uint auxNext = ReadU32(data, auxPos + 12);
                            if (auxNext == 0)
                            {
                                break;
                            }

                            auxPos += auxNext;
                        }

                        if (next == 0 || ++guard > 100000)
                        {
                            break;
                        }

                        pos += next;
                    }
                }
            }

            return result;
        }

        /// <summary>Version names defined by the library (.gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        public static IReadOnlyList<string> ReadVersionDefinitions(string libPath)
        {
            RequireArgument(libPath, nameof(libPath));
            var result = new List<string>();
            using (var stream = new FileStream(libPath, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                SectionHeader[] sections = ReadSectionHeaders(stream, libPath);
                foreach (SectionHeader verdef in sections)
                {
                    if (verdef.Type != ShtGnuVerdef)
                    {
                        continue;
                    }

                    byte[] strtab = ReadLinkedStringTable(stream, sections, verdef, libPath);
                    byte[] data = ReadSection(stream, verdef, libPath);
                    long pos = 0;
                    uint remaining = verdef.Info == 0 ? uint.MaxValue : verdef.Info;
                    while (remaining-- > 0)
                    {
                        // Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
                        CheckRange(data, pos, 20, libPath, ".gnu.version_d Verdef");
                        ushort cnt = ReadU16(data, pos + 6);
                        uint aux = ReadU32(data, pos + 12);
                        uint next = ReadU32(data, pos + 16);
                        if (cnt > 0)
                        {
                            // The first Verdaux names the version itself; later ones name its parents.
                            CheckRange(data, pos + aux, 8, libPath, ".gnu.version_d Verdaux");
                            result.Add(ReadString(strtab, ReadU32(data, pos + aux), libPath));
                        }

                        if (next == 0)
                        {
                            break;
                        }

                        pos += next;
                    }
                }
            }

            return result;
        }

        /// <summary>
        /// True when the library defines (exports) the symbol version <paramref name="versionName"/>.
        /// Uses .gnu.version_d; falls back to searching the bytes for the NUL-terminated name when the
        /// section headers are missing.
        /// </summary>
        public static bool LibraryProvidesVersion(string libPath, string versionName)
        {
            RequireArgument(libPath, nameof(libPath));
            RequireArgument(versionName, nameof(versionName));
            IReadOnlyList<string> definitions;
            try
            {
                definitions = ReadVersionDefinitions(libPath);
            }
            catch (InvalidDataException)
            {
                definitions = Array.Empty<string>();
            }

            if (definitions.Count > 0)
            {
                foreach (string name in definitions)
                {
                    if (string.Equals(name, versionName, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            }

            return ContainsBytes(File.ReadAllBytes(libPath), Encoding.ASCII.GetBytes("\0" + versionName + "\0"));
        }

        /// <summary>
        /// Path of the libstdc++.so.6 the dynamic loader would pick on this machine: the x86-64 (or the
        /// process architecture's) entry of <c>ldconfig -p</c>, else the first existing well-known path;
        /// null when none is found.
        /// </summary>
        public static string? FindSystemLibStdCxx()
        {
            string? fromLdconfig = FindWithLdconfig("libstdc++.so.6");
            if (fromLdconfig != null)
            {
                return fromLdconfig;
            }

            foreach (string candidate in FallbackLibStdCxxPaths)
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>Parses <c>ldconfig -p</c> output; returns the path for <paramref name="soname"/> or null.</summary>
        public static string? ParseLdconfigOutput(string output, string soname, string? preferredArchTag)
        {
            string? anyMatch = null;
            foreach (string rawLine in output.Split('\n'))
            {
                // "\tlibstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                string line = rawLine.Trim();
                int arrow = line.IndexOf("=>", StringComparison.Ordinal);
                if (arrow < 0 || !line.StartsWith(soname + " ", StringComparison.Ordinal))
                {
                    continue;
                }

                string path = line.Substring(arrow + 2).Trim();
                string tags = line.Substring(0, arrow);
                if (preferredArchTag != null && tags.Contains(preferredArchTag))
                {
                    return path;
                }

                anyMatch ??= path;
            }

            return preferredArchTag == null ? anyMatch : null;
        }

        private static string? FindWithLdconfig(string soname)
        {
            string? archTag = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
            {
                System.Runtime.InteropServices.Architecture.X64 => "x86-64",
                System.Runtime.InteropServices.Architecture.Arm64 => "AArch64",
                _ => null,
            };

            foreach (string ldconfig in LdconfigCandidates)
            {
                if (Path.IsPathRooted(ldconfig) && !File.Exists(ldconfig))
                {
                    continue;
                }

                try
                {
                    var psi = new ProcessStartInfo(ldconfig, "-p")
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false,
                        CreateNoWindow = true,
                    };
                    using (Process? process = Process.Start(psi))
                    {
                        if (process == null)
                        {
                            continue;
                        }

                        process.ErrorDataReceived += (_, _) => { };
                        process.BeginErrorReadLine();
                        string output = process.StandardOutput.ReadToEnd();
                        process.WaitForExit();
                        string? path = ParseLdconfigOutput(output, soname, archTag);
                        if (path != null && File.Exists(path))
                        {
                            return path;
                        }
                    }
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    // ldconfig not runnable here; try the next candidate / fall back to known paths.
                }
                catch (InvalidOperationException)
                {
                }
            }

            return null;
        }

        private readonly struct SectionHeader
        {
            public SectionHeader(uint type, ulong offset, ulong size, uint link, uint info)
            {
                Type = type;
                Offset = offset;
                Size = size;
                Link = link;
                Info = info;
            }

            public uint Type { get; }

            public ulong Offset { get; }

            public ulong Size { get; }

            public uint Link { get; }

            public uint Info { get; }
        }

        private static SectionHeader[] ReadSectionHeaders(FileStream stream, string path)
        {
            var header = new byte[Elf64HeaderSize];
            int read = ReadAtMost(stream, header, 0, header.Length);
            if (read < 4 || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
            {
                throw new InvalidDataException($"'{path}' is not an ELF file (missing \\x7fELF magic).");
            }

            if (read < 6 || header[4] != 2 || header[5] != 1)
            {
                throw new NotSupportedException($"'{path}' is an ELF file but not ELF64 little-endian (EI_CLASS={(read > 4 ? header[4] : 0)}, EI_DATA={(read > 5 ? header[5] : 0)}); only ELF64 little-endian is supported.");
            }

            if (read < Elf64HeaderSize)
            {
                throw new InvalidDataException($"'{path}' is truncated: ELF header is {read} bytes, expected {Elf64HeaderSize}.");
            }

            ulong shoff = ReadU64(header, 0x28);
            ushort shentsize = ReadU16(header, 0x3A);
            ushort shnum = ReadU16(header, 0x3C);
            if (shoff == 0 || shnum == 0)
            {
                return Array.Empty<SectionHeader>();
            }

            if (shentsize < Elf64SectionHeaderSize)
            {
                throw new InvalidDataException($"'{path}' has an invalid section header entry size {shentsize}.");
            }

            long tableSize = (long)shentsize * shnum;
            if (shoff > (ulong)stream.Length || (ulong)stream.Length - shoff < (ulong)tableSize)
            {
                throw new InvalidDataException($"'{path}' is malformed: section header table lies outside the file.");
            }

            var table = new byte[tableSize];
            stream.Seek((long)shoff, SeekOrigin.Begin);
            ReadExactly(stream, table, 0, table.Length, path);
            var sections = new SectionHeader[shnum];
            for (int i = 0; i < shnum; i++)
            {
                long b = (long)i * shentsize;
                sections[i] = new SectionHeader(
                    type: ReadU32(table, b + 4),
                    offset: ReadU64(table, b + 0x18),
                    size: ReadU64(table, b + 0x20),
                    link: ReadU32(table, b + 0x28),
                    info: ReadU32(table, b + 0x2C));
            }

            return sections;
        }

        private static byte[] ReadLinkedStringTable(FileStream stream, SectionHeader[] sections, SectionHeader owner, string path)
        {
            if (owner.Link >= sections.Length)
            {
                throw new InvalidDataException($"'{path}' is malformed: sh_link {owner.Link} of a version section is out of range.");
            }

            return ReadSection(stream, sections[owner.Link], path);
        }

        private static byte[] ReadSection(FileStream stream, SectionHeader section, string path)
        {
            if (section.Offset > (ulong)stream.Length || (ulong)stream.Length - section.Offset < section.Size || section.Size > int.MaxValue)
            {
                throw new InvalidDataException($"'{path}' is malformed: a section lies outside the file.");
            }

            var data = new byte[section.Size];
            stream.Seek((long)section.Offset, SeekOrigin.Begin);
            ReadExactly(stream, data, 0, data.Length, path);
            return data;
        }

        private static string ReadString(byte[] strtab, uint offset, string path)
        {
            if (offset >= strtab.Length)
            {
                throw new InvalidDataException($"'{path}' is malformed: string offset {offset} outside the string table.");
            }

            int end = Array.IndexOf(strtab, (byte)0, (int)offset);
            if (end < 0)
            {
                end = strtab.Length;
            }

            return Encoding.ASCII.GetString(strtab, (int)offset, end - (int)offset);
        }

        private static void CheckRange(byte[] data, long pos, int length, string path, string what)
        {
            if (pos < 0 || pos + length > data.Length)
            {
                throw new InvalidDataException($"'{path}' is malformed: {what} entry at 0x{pos:x} runs past the section end.");
            }
        }

        private static ushort ReadU16(byte[] b, long i) => (ushort)(b[i] | (b[i + 1] << 8));

        private static uint ReadU32(byte[] b, long i) => (uint)(b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));

        private static ulong ReadU64(byte[] b, long i) => ReadU32(b, i) | ((ulong)ReadU32(b, i + 4) << 32);

        private static int ReadAtMost(Stream stream, byte[] buffer, int offset, int count)
        {
            int total = 0;
            while (total < count)
            {
                int n = stream.Read(buffer, offset + total, count - total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        private static void ReadExactly(Stream stream, byte[] buffer, int offset, int count, string path)
        {
            if (ReadAtMost(stream, buffer, offset, count) != count)
            {
                throw new InvalidDataException($"'{path}' is truncated.");
            }
        }

        private static bool ContainsBytes(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j])
                {
                    j++;
                }

                if (j == needle.Length)
                {
                    return true;
                }
            }

            return false;
        }

        private static void RequireArgument(string value, string name)
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException("A non-empty value is required.", name);
            }
        }
    }

#if !NET
    /// <summary>
    /// MSBuild task (compiled by RoslynCodeTaskFactory only): marks <see cref="VersionName"/> weak in
    /// each of <see cref="Files"/> when the system libstdc++ does not define it.
    /// </summary>
    public sealed class PatchTorchSharpNative : Microsoft.Build.Utilities.Task
    {
        /// <summary>Candidate libLibTorchSharp.so copies in output/publish folders (missing ones are skipped).</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>The version requirement to weaken.</summary>
        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        /// <summary>auto: only when the system libstdc++ lacks the version; always: regardless.</summary>
        public string Mode { get; set; } = "auto";

        /// <summary>Folders never to write into (the NuGet package cache), separated by ';'.</summary>
        public string ProtectedRoots { get; set; } = string.Empty;

        /// <inheritdoc />
        public override bool Execute()
        {
            bool? systemHasVersion = null;
            string? systemLib = null;
            foreach (Microsoft.Build.Framework.ITaskItem item in Files)
            {
                string path = Path.GetFullPath(item.ItemSpec);
                if (!File.Exists(path) || IsProtected(path))
                {
                    continue;
                }

                try
                {
                    if (!HasStrongRequirement(path))
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "TorchSharpNativeFix: {0} has no strong {1} requirement.", path, VersionName);
                        continue;
                    }

                    if (systemHasVersion == null)
                    {
                        systemLib = ElfWeakVersionPatcher.FindSystemLibStdCxx();
                        systemHasVersion = systemLib != null && ElfWeakVersionPatcher.LibraryProvidesVersion(systemLib, VersionName);
                    }

                    if (systemHasVersion == true && !string.Equals(Mode, "always", StringComparison.OrdinalIgnoreCase))
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "TorchSharpNativeFix: {0} provides {1}; {2} left unchanged.", systemLib, VersionName, path);
                        continue;
                    }

                    PatchResult result = ElfWeakVersionPatcher.MarkVersionWeak(path, VersionName);
                    if (result == PatchResult.Patched)
                    {
                        Log.LogMessage(
                            Microsoft.Build.Framework.MessageImportance.High,
                            "TorchSharpNativeFix: marked {0} requirement weak in {1} (system libstdc++ '{2}' lacks it).",
                            VersionName,
                            path,
                            systemLib ?? "not found");
                    }
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
                {
                    Log.LogError("TorchSharpNativeFix: could not patch {0}: {1}", path, ex.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }

        private bool HasStrongRequirement(string path)
        {
            foreach (ElfVersionRequirement req in ElfWeakVersionPatcher.ReadVersionRequirements(path))
            {
                if (string.Equals(req.Version, VersionName, StringComparison.Ordinal) && !req.IsWeak)
                {
                    return true;
                }
            }

            return false;
        }

        private bool IsProtected(string path)
        {
            foreach (string root in ProtectedRoots.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
            {
                string full = Path.GetFullPath(root.Trim());
                if (full.Length == 0)
                {
                    continue;
                }

                if (full[full.Length - 1] != '/')
                {
                    full += "/";
                }

                if (path.StartsWith(full, StringComparison.Ordinal))
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "TorchSharpNativeFix: {0} is inside {1}; not patching a package cache file.", path, full);
                    return true;
                }
            }

            return false;
        }
    }
#endif
}
