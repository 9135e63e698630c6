using System.Buffers.Binary;
using System.Text;

namespace FacePipeline.Backbones;

/// <summary>
/// Reads the libraries a 64-bit little-endian ELF shared object names as <c>DT_NEEDED</c> in its dynamic section
/// (what <c>readelf -d</c> shows), reading only the section headers, the dynamic section and its string table.
/// </summary>
public static class ElfDependencies
{
    private const uint DynamicSection = 6;
    private const long NeededTag = 1;

    /// <summary>The needed library names of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="InvalidDataException">Not a 64-bit little-endian ELF file, or one without a dynamic section.</exception>
    public static IReadOnlyList<string> Needed(string path)
    {
        using FileStream file = File.OpenRead(path);
        byte[] header = ReadAt(file, 0, 64);
        if (!header.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || header[4] != 2 || header[5] != 1)
        {
            throw new InvalidDataException($"{path}: not a 64-bit little-endian ELF file");
        }

        long sectionsAt = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(0x28));
        int sectionSize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3A));
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3C));
        byte[] sections = ReadAt(file, sectionsAt, sectionSize * sectionCount);
        for (int i = 0; i < sectionCount; i++)
        {
            Span<byte> section = sections.AsSpan(i * sectionSize, sectionSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != DynamicSection)
            {
                continue;
            }

            byte[] dynamic = ReadAt(file, BinaryPrimitives.ReadInt64LittleEndian(section[0x18..]), checked((int)BinaryPrimitives.ReadInt64LittleEndian(section[0x20..])));
            int link = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x28..]));
            Span<byte> strings = sections.AsSpan(link * sectionSize, sectionSize);
            byte[] names = ReadAt(file, BinaryPrimitives.ReadInt64LittleEndian(strings[0x18..]), checked((int)BinaryPrimitives.ReadInt64LittleEndian(strings[0x20..])));
            var needed = new List<string>();
            for (int entry = 0; entry + 16 <= dynamic.Length; entry += 16)
            {
                long tag = BinaryPrimitives.ReadInt64LittleEndian(dynamic.AsSpan(entry));
                if (tag == 0)
                {
                    break;
                }

                if (tag == NeededTag)
                {
                    int start = checked((int)BinaryPrimitives.ReadInt64LittleEndian(dynamic.AsSpan(entry + 8)));
                    int end = Array.IndexOf(names, (byte)0, start);
                    needed.Add(Encoding.UTF8.GetString(names, start, end - start));
                }
            }

            return needed;
        }

        throw new InvalidDataException($"{path}: no dynamic section");
    }

    private static byte[] ReadAt(FileStream file, long offset, int length)
    {
        var buffer = new byte[length];
        file.Seek(offset, SeekOrigin.Begin);
        file.ReadExactly(buffer);
        return buffer;
    }
}
