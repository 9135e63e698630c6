using System.Globalization;
using CsvHelper;
using FacePipeline.Storage;

namespace FacePipeline.Reporting;

/// <summary>
/// Plain CSV output (RFC 4180 quoting, header first, LF line ends, UTF-8 without BOM) through CsvHelper. Files are
/// written through <see cref="AtomicFile"/>, so a reader never sees half a file. Text that a spreadsheet would run as
/// a formula (a label or path starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR) gets a leading single
/// quote (CsvHelper's <see cref="CsvInjection.Escape"/>); numbers, such as a negative face box coordinate, stay numbers.
/// </summary>
public static class CsvTable
{
    /// <summary>Writer options shared by every CSV the pipeline writes.</summary>
    public static CsvWriterOptions Options { get; } = CsvWriterOptions.Default with { NewLine = "\n", Injection = CsvInjection.Escape };

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
                if (field is ['-', ..] && double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
                    && number.ToString("R", CultureInfo.InvariantCulture) == field)
                {
                    // A negative number the caller formatted (a face box off the image's edge): not a formula.
                    csv.WriteField(number, "R");
                }
                else
                {
                    csv.WriteField(field);
                }
            }

            csv.EndRecord();
        }
    }
}
