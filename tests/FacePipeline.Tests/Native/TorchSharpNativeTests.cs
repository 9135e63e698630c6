using System.Text;
using FacePipeline.Build;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace FacePipeline.Tests.Native;

/// <summary>A [Fact] that is skipped outside Linux (xunit 2 has no runtime skip).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only (ELF / libstdc++ symbol versioning).";
        }
    }
}

/// <summary>TorchSharp's native library loads and computes in the test output (see build/TorchSharpNativeFix.targets).</summary>
public sealed class TorchSharpNativeTests
{
    private const string GlibcxxVersion = "GLIBCXX_3.4.32";

    [Fact]
    public void Torch_loads_and_computes()
    {
        using var ones = torch.ones(2, 3);
        using var sum = ones.sum();
        Assert.Equal(6f, sum.item<float>());
    }

    [Fact]
    public void Linear_layer_forward_and_backward()
    {
        torch.manual_seed(1);
        using var layer = nn.Linear(3, 2);
        using var x = torch.ones(4, 3);
        using var y = layer.forward(x);
        Assert.Equal(new long[] { 4, 2 }, y.shape);

        using var loss = y.sum();
        loss.backward();
        var grad = layer.weight!.grad!;
        Assert.NotNull(grad);
        // d(sum(xW^T + b))/dW = column sums of x = 4 for every weight.
        Assert.Equal(new long[] { 2, 3 }, grad.shape);
        foreach (float g in grad.data<float>().ToArray())
        {
            Assert.Equal(4f, g, 5);
        }
    }

    [Fact]
    public void Three_layer_net_trains_with_adam()
    {
        torch.manual_seed(42);
        using var x = torch.randn(64, 8);
        using var y = (x.sum(1, keepdim: true) * 0.5f).tanh();
        using var net = nn.Sequential(
            ("fc1", nn.Linear(8, 16)), ("act1", nn.ReLU()),
            ("fc2", nn.Linear(16, 16)), ("act2", nn.ReLU()),
            ("fc3", nn.Linear(16, 1)));
        using var opt = torch.optim.Adam(net.parameters(), lr: 0.01);
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            opt.zero_grad();
            using var pred = net.forward(x);
            using var loss = nn.functional.mse_loss(pred, y);
            loss.backward();
            opt.step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        Assert.True(last < first * 0.8f, $"loss did not decrease: {first} -> {last}");
    }

    [LinuxFact]
    public void Output_libLibTorchSharp_has_no_unsatisfiable_libstdcxx_requirement()
    {
        string? so = FindOutputLibTorchSharp();
        Assert.True(so != null, $"libLibTorchSharp.so not found under {AppContext.BaseDirectory}");
        string? systemLib = ElfWeakVersionPatcher.FindSystemLibStdCxx();
        Assert.True(systemLib != null, "system libstdc++.so.6 not found");
        var provided = new HashSet<string>(ElfWeakVersionPatcher.ReadVersionDefinitions(systemLib!), StringComparer.Ordinal);
        Assert.Contains("GLIBCXX_3.4", provided);

        var unsatisfied = ElfWeakVersionPatcher.ReadVersionRequirements(so!)
            .Where(r => r.Library.StartsWith("libstdc++", StringComparison.Ordinal) && !r.IsWeak && !provided.Contains(r.Version))
            .Select(r => r.Version)
            .ToList();
        Assert.True(unsatisfied.Count == 0, $"{so} strongly requires {string.Join(", ", unsatisfied)}, which {systemLib} lacks");

        if (!provided.Contains(GlibcxxVersion))
        {
            Assert.True(ElfWeakVersionPatcher.IsVersionRequirementWeak(so!, GlibcxxVersion), $"{GlibcxxVersion} should be weak in {so}");
        }
    }

    internal static string? FindOutputLibTorchSharp()
    {
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }
}

/// <summary>Unit tests of <see cref="ElfWeakVersionPatcher"/> on synthetic ELF files and a copy of the real library.</summary>
public sealed class ElfWeakVersionPatcherTests : IDisposable
{
    private readonly string tempDir = Directory.CreateTempSubdirectory("elfpatch-").FullName;

    public void Dispose() => Directory.Delete(tempDir, recursive: true);

    [Fact]
    public void Marks_requirement_weak_and_leaves_others_alone()
    {
        string path = WriteSynthetic("a.so");
        Assert.False(ElfWeakVersionPatcher.IsVersionRequirementWeak(path, "GLIBCXX_3.4.32"));

        Assert.Equal(PatchResult.Patched, ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));

        var reqs = ElfWeakVersionPatcher.ReadVersionRequirements(path);
        Assert.Equal(3, reqs.Count);
        Assert.True(reqs.Single(r => r.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal("libstdc++.so.6", reqs.Single(r => r.Version == "GLIBCXX_3.4.32").Library);
        Assert.Equal(0, reqs.Single(r => r.Version == "GLIBCXX_3.4").Flags);
        Assert.Equal(0, reqs.Single(r => r.Version == "GLIBC_2.2.5").Flags);
        Assert.True(ElfWeakVersionPatcher.IsVersionRequirementWeak(path, "GLIBCXX_3.4.32"));
        Assert.Empty(Directory.GetFiles(tempDir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Second_patch_is_a_no_op()
    {
        string path = WriteSynthetic("b.so");
        Assert.Equal(PatchResult.Patched, ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));
        byte[] once = File.ReadAllBytes(path);
        var stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);

        Assert.Equal(PatchResult.AlreadyWeak, ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));

        Assert.Equal(once, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Only_the_flags_bytes_change()
    {
        string path = WriteSynthetic("c.so");
        byte[] before = File.ReadAllBytes(path);
        ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32");
        byte[] after = File.ReadAllBytes(path);
        Assert.Equal(before.Length, after.Length);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.Single(changed);
        Assert.Equal(before[changed[0]] | ElfWeakVersionPatcher.VerFlgWeak, after[changed[0]]);
    }

    [Fact]
    public void Unknown_version_is_not_required()
    {
        string path = WriteSynthetic("d.so");
        byte[] before = File.ReadAllBytes(path);
        Assert.Equal(PatchResult.VersionNotRequired, ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_9.9.9"));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Non_elf_file_throws_clear_exception()
    {
        string path = Path.Combine(tempDir, "not-elf.so");
        File.WriteAllText(path, "this is not an ELF file");
        var ex = Assert.Throws<InvalidDataException>(() => ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));
        Assert.Contains("not an ELF file", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);

        string empty = Path.Combine(tempDir, "empty.so");
        File.WriteAllBytes(empty, []);
        Assert.Throws<InvalidDataException>(() => ElfWeakVersionPatcher.ReadVersionRequirements(empty));
    }

    [Fact]
    public void Elf32_or_big_endian_is_rejected()
    {
        byte[] elf = SyntheticElf.Build();
        elf[4] = 1; // ELFCLASS32
        string path = Path.Combine(tempDir, "elf32.so");
        File.WriteAllBytes(path, elf);
        var ex = Assert.Throws<NotSupportedException>(() => ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));
        Assert.Contains("ELF64 little-endian", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_throws_clear_exception()
    {
        byte[] elf = SyntheticElf.Build();
        string path = Path.Combine(tempDir, "truncated.so");
        File.WriteAllBytes(path, elf.AsSpan(0, elf.Length - 100).ToArray());
        Assert.Throws<InvalidDataException>(() => ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));
    }

    [LinuxFact]
    public void Patch_keeps_file_mode_and_timestamp()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string path = WriteSynthetic("mode.so");
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead;
        File.SetUnixFileMode(path, mode);
        var stamp = new DateTime(2021, 6, 7, 8, 9, 10, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);

        Assert.Equal(PatchResult.Patched, ElfWeakVersionPatcher.MarkVersionWeak(path, "GLIBCXX_3.4.32"));

        Assert.Equal(mode, File.GetUnixFileMode(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
    }

    [LinuxFact]
    public void Patching_through_a_symlink_never_touches_the_link_target()
    {
        // Stands in for an output file linked to the NuGet cache (CreateSymbolicLinksForCopyLocalIfPossible).
        string target = WriteSynthetic("cache-copy.so");
        byte[] original = File.ReadAllBytes(target);
        string link = Path.Combine(tempDir, "output-copy.so");
        File.CreateSymbolicLink(link, target);

        Assert.Equal(PatchResult.Patched, ElfWeakVersionPatcher.MarkVersionWeak(link, "GLIBCXX_3.4.32"));

        Assert.Equal(original, File.ReadAllBytes(target));
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.True(ElfWeakVersionPatcher.IsVersionRequirementWeak(link, "GLIBCXX_3.4.32"));
    }

    [Fact]
    public void Reads_version_definitions()
    {
        string path = WriteSynthetic("defs.so");
        Assert.Equal(["libfake.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.30"], ElfWeakVersionPatcher.ReadVersionDefinitions(path));
        Assert.True(ElfWeakVersionPatcher.LibraryProvidesVersion(path, "GLIBCXX_3.4.30"));
        Assert.False(ElfWeakVersionPatcher.LibraryProvidesVersion(path, "GLIBCXX_3.4.32"));
        Assert.False(ElfWeakVersionPatcher.LibraryProvidesVersion(path, "GLIBCXX_3.4.3"));
    }

    [Fact]
    public void Parses_ldconfig_output()
    {
        const string output =
            "1234 libs found in cache `/etc/ld.so.cache'\n" +
            "\tlibstdc++.so.6 (libc6) => /usr/lib32/libstdc++.so.6\n" +
            "\tlibstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6\n" +
            "\tlibstdc++fs.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++fs.so.6\n";
        Assert.Equal("/lib/x86_64-linux-gnu/libstdc++.so.6", ElfWeakVersionPatcher.ParseLdconfigOutput(output, "libstdc++.so.6", "x86-64"));
        Assert.Equal("/usr/lib32/libstdc++.so.6", ElfWeakVersionPatcher.ParseLdconfigOutput(output, "libstdc++.so.6", null));
        Assert.Null(ElfWeakVersionPatcher.ParseLdconfigOutput(output, "libstdc++.so.6", "AArch64"));
    }

    [LinuxFact]
    public void Finds_system_libstdcxx()
    {
        string? lib = ElfWeakVersionPatcher.FindSystemLibStdCxx();
        Assert.NotNull(lib);
        Assert.True(File.Exists(lib));
        Assert.True(ElfWeakVersionPatcher.LibraryProvidesVersion(lib!, "GLIBCXX_3.4"));
        Assert.False(ElfWeakVersionPatcher.LibraryProvidesVersion(lib!, "GLIBCXX_99.0"));
    }

    [LinuxFact]
    public void Patches_a_copy_of_the_real_package_library()
    {
        string? source = FindPackageLibTorchSharp();
        if (source == null)
        {
            // Nothing to test against without the package (restore puts it there on every build machine).
            return;
        }

        string copy = Path.Combine(tempDir, "libLibTorchSharp.so");
        File.Copy(source, copy);
        var before = ElfWeakVersionPatcher.ReadVersionRequirements(copy);
        Assert.Contains(before, r => r.Library == "libstdc++.so.6" && r.Version == "GLIBCXX_3.4.32" && !r.IsWeak);

        Assert.Equal(PatchResult.Patched, ElfWeakVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(PatchResult.AlreadyWeak, ElfWeakVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));

        var after = ElfWeakVersionPatcher.ReadVersionRequirements(copy);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Version, after[i].Version);
            Assert.Equal(before[i].Version == "GLIBCXX_3.4.32", after[i].IsWeak);
        }

        Assert.Equal(new FileInfo(source).Length, new FileInfo(copy).Length);
        Assert.False(ElfWeakVersionPatcher.IsVersionRequirementWeak(source, "GLIBCXX_3.4.32"));
    }

    private static string? FindPackageLibTorchSharp()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    private string WriteSynthetic(string name)
    {
        string path = Path.Combine(tempDir, name);
        File.WriteAllBytes(path, SyntheticElf.Build());
        return path;
    }
}

/// <summary>
/// Builds a minimal ELF64 LE shared object with .dynstr, .gnu.version_r (libc.so.6: GLIBC_2.2.5;
/// libstdc++.so.6: GLIBCXX_3.4, GLIBCXX_3.4.32), .gnu.version_d (libfake.so.6, GLIBCXX_3.4,
/// GLIBCXX_3.4.30) and .shstrtab. Only what the patcher reads is filled in.
/// </summary>
internal static class SyntheticElf
{
    private const uint ShtStrtab = 3;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    public static byte[] Build()
    {
        var dynstr = new StringTable();
        uint libc = dynstr.Add("libc.so.6"), glibc = dynstr.Add("GLIBC_2.2.5");
        uint libstdcxx = dynstr.Add("libstdc++.so.6"), cxx34 = dynstr.Add("GLIBCXX_3.4"), cxx3432 = dynstr.Add("GLIBCXX_3.4.32");
        uint fake = dynstr.Add("libfake.so.6"), cxx3430 = dynstr.Add("GLIBCXX_3.4.30");

        // .gnu.version_r: Verneed(16) + Vernaux(16) ... vn_aux/vn_next/vna_next are relative offsets.
        var verneed = new MemoryStream();
        var w = new BinaryWriter(verneed);
        WriteVerneed(w, cnt: 1, file: libc, aux: 16, next: 32);
        WriteVernaux(w, name: glibc, other: 2, next: 0);
        WriteVerneed(w, cnt: 2, file: libstdcxx, aux: 16, next: 0);
        WriteVernaux(w, name: cxx34, other: 3, next: 16);
        WriteVernaux(w, name: cxx3432, other: 4, next: 0);

        // .gnu.version_d: Verdef(20) + Verdaux(8) per definition.
        var verdef = new MemoryStream();
        var d = new BinaryWriter(verdef);
        uint[] defs = [fake, cxx34, cxx3430];
        for (int i = 0; i < defs.Length; i++)
        {
            d.Write((ushort)1); d.Write((ushort)(i == 0 ? 1 : 0)); d.Write((ushort)(i + 1)); d.Write((ushort)1);
            d.Write(0u); d.Write(20u); d.Write(i == defs.Length - 1 ? 0u : 28u);
            d.Write(defs[i]); d.Write(0u);
        }

        var shstr = new StringTable();
        uint nDynstr = shstr.Add(".dynstr"), nVerneed = shstr.Add(".gnu.version_r"), nVerdef = shstr.Add(".gnu.version_d"), nShstr = shstr.Add(".shstrtab");

        var file = new MemoryStream();
        var f = new BinaryWriter(file);
        f.Write(new byte[64]);
        long oDynstr = Append(f, dynstr.ToArray());
        long oVerneed = Append(f, verneed.ToArray());
        long oVerdef = Append(f, verdef.ToArray());
        long oShstr = Append(f, shstr.ToArray());
        Align(f, 8);
        long shoff = file.Position;
        f.Write(new byte[64]); // SHN_UNDEF
        WriteSection(f, nDynstr, ShtStrtab, oDynstr, dynstr.Length, link: 0, info: 0);
        WriteSection(f, nVerneed, ShtGnuVerneed, oVerneed, verneed.Length, link: 1, info: 2);
        WriteSection(f, nVerdef, ShtGnuVerdef, oVerdef, verdef.Length, link: 1, info: 3);
        WriteSection(f, nShstr, ShtStrtab, oShstr, shstr.Length, link: 0, info: 0);

        file.Position = 0;
        f.Write(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 });
        file.Position = 16;
        f.Write((ushort)3);   // e_type ET_DYN
        f.Write((ushort)62);  // e_machine EM_X86_64
        f.Write(1u);          // e_version
        f.Write(0ul);         // e_entry
        f.Write(0ul);         // e_phoff
        f.Write((ulong)shoff);
        f.Write(0u);          // e_flags
        f.Write((ushort)64);  // e_ehsize
        f.Write((ushort)56);  // e_phentsize
        f.Write((ushort)0);   // e_phnum
        f.Write((ushort)64);  // e_shentsize
        f.Write((ushort)5);   // e_shnum
        f.Write((ushort)4);   // e_shstrndx
        f.Flush();
        return file.ToArray();
    }

    private static void WriteVerneed(BinaryWriter w, ushort cnt, uint file, uint aux, uint next)
    {
        w.Write((ushort)1); w.Write(cnt); w.Write(file); w.Write(aux); w.Write(next);
    }

    private static void WriteVernaux(BinaryWriter w, uint name, ushort other, uint next)
    {
        w.Write(0x12345678u); w.Write((ushort)0); w.Write(other); w.Write(name); w.Write(next);
    }

    private static void WriteSection(BinaryWriter f, uint name, uint type, long offset, long size, uint link, uint info)
    {
        f.Write(name); f.Write(type); f.Write(2ul /* SHF_ALLOC */); f.Write(0ul);
        f.Write((ulong)offset); f.Write((ulong)size); f.Write(link); f.Write(info); f.Write(8ul); f.Write(0ul);
    }

    private static long Append(BinaryWriter f, byte[] data)
    {
        Align(f, 8);
        long at = f.BaseStream.Position;
        f.Write(data);
        return at;
    }

    private static void Align(BinaryWriter f, int alignment)
    {
        while (f.BaseStream.Position % alignment != 0)
        {
            f.Write((byte)0);
        }
    }

    private sealed class StringTable
    {
        private readonly MemoryStream bytes = new();

        public StringTable() => bytes.WriteByte(0);

        public long Length => bytes.Length;

        public uint Add(string s)
        {
            uint at = (uint)bytes.Position;
            bytes.Write(Encoding.ASCII.GetBytes(s + "\0"));
            return at;
        }

        public byte[] ToArray() => bytes.ToArray();
    }
}
