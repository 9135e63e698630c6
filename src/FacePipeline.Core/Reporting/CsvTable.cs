using CsvHelper;
using FacePipeline.Storage;

namespace FacePipeline.Reporting;

/// <summary>
/// Plain CSV output (RFC 4180 quoting, header first, LF line ends, UTF-8 without BOM) through CsvHelper. Files are
/// written through <see cref="AtomicFile"/>, so a reader never sees half a file.
/// </summary>
public static class CsvTable
{
    /// <summary>Writer options shared by every CSV the pipeline writes.</summary>
    public static CsvWriterOptions Options { get; } = CsvWriterOptions.Default with { NewLine = "\n" };

    /// <summary>Writes <paramref name="header"/> and <paramref name="rows"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        AtomicFile.Write(path, stream => Write(stream, header, rows));
    }

    /// <summary>Writes <paramref name="header"/> and <paramref name="rows"/> to a stream (left open).</summary>
    public static void Write(Stream stream, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        using CsvWriter csv = CsvWriter.Create(stream, Options, leaveOpen: true);
        csv.WriteRecord(header.ToArray());
        foreach (IReadOnlyList<string?> row in rows)
        {
            foreach (string? field in row)
            {
                csv.WriteField(field);
            }

            csv.EndRecord();
        }
    }
}
