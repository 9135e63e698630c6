using System.Globalization;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FacePipeline.Bench;

/// <summary>
/// A set that looks like uncropped lab portraits (the kind on which a face stage can hurt an ImageNet backbone): every
/// ORL face scaled by <see cref="Scale"/> and placed, shifted sideways by a seeded amount, on a 320×243 grey frame
/// with a hard side light (brightness falling from left to right), so the detector's face box covers about a quarter
/// of the frame. Written with the ORL-7/3 split (images 1–7 train, 8–10 test).
/// </summary>
internal static class OrlPortraits
{
    private const int WidthPx = 320;
    private const int HeightPx = 243;

    /// <summary>ORL is 92×112 and its face box ~60 % of that; ×1.75 makes the box ~25 % of 320×243.</summary>
    private const float Scale = 1.75f;

    /// <summary>Writes the images under <paramref name="outFolder"/> and returns the manifest's path.</summary>
    public static string Write(string orlFolder, string outFolder)
    {
        Directory.CreateDirectory(outFolder);
        var random = new Random(7);
        var manifest = new StringBuilder("path,label,split\n");
        foreach (string person in Directory.GetDirectories(orlFolder).Order(StringComparer.Ordinal))
        {
            string label = Path.GetFileName(person);
            Directory.CreateDirectory(Path.Combine(outFolder, label));
            for (int index = 1; index <= 10; index++)
            {
                string target = Path.Combine(outFolder, label, index.ToString(CultureInfo.InvariantCulture) + ".png");
                Render(Path.Combine(person, index.ToString(CultureInfo.InvariantCulture) + ".pgm"), target, random.Next(-40, 41));
                manifest.Append(CultureInfo.InvariantCulture, $"{Path.GetFullPath(target)},{label},{(index <= 7 ? "train" : "test")}\n");
            }
        }

        string manifestPath = Path.Combine(outFolder, "orl-portraits.csv");
        File.WriteAllText(manifestPath, manifest.ToString());
        return manifestPath;
    }

    private static void Render(string source, string target, int shiftPx)
    {
        using Image<L8> face = Image.Load<L8>(source);
        face.Mutate(x => x.Resize((int)(face.Width * Scale), (int)(face.Height * Scale)));
        using var frame = new Image<L8>(WidthPx, HeightPx, new L8(96));
        var at = new Point((WidthPx - face.Width) / 2 + shiftPx, HeightPx - face.Height);
        frame.Mutate(x => x.DrawImage(face, at, 1f));
        frame.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<L8> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    float light = 1.35f - 1.1f * x / (WidthPx - 1);
                    row[x] = new L8((byte)Math.Clamp(row[x].PackedValue * light, 0, 255));
                }
            }
        });
        frame.SaveAsPng(target);
    }
}
