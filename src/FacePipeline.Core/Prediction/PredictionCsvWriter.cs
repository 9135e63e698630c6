using System.Globalization;
using FacePipeline.Extraction;
using FacePipeline.Reporting;
using FacePipeline.Storage;

namespace FacePipeline.Prediction;

/// <summary>
/// The predictions CSV of Predict: <c>path,face,face_x,face_y,face_w,face_h,label,confidence,top1,p1,…,topK,pK</c>
/// (probabilities with up to six decimals; box in original image pixels, empty for whole images), one row per face
/// found (face 0 is the one Extract keeps), one row with label <c>no face</c> and empty face columns for an image
/// without one; and beside a file its <c>NAME.errors.csv</c> of skipped images.
/// </summary>
public static class PredictionCsvWriter
{
    /// <summary>The column names for <paramref name="topK"/> ranked labels.</summary>
    public static string[] Header(int topK)
    {
        var header = new List<string> { "path", "face", "face_x", "face_y", "face_w", "face_h", "label", "confidence" };
        for (int i = 1; i <= topK; i++)
        {
            header.Add($"top{i}");
            header.Add($"p{i}");
        }

        return header.ToArray();
    }

    /// <summary>One row; ranks beyond what <paramref name="prediction"/> holds are left empty.</summary>
    public static string?[] Row(FacePrediction prediction, int topK)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        Faces.FaceBox? face = prediction.Face?.Box;
        var row = new List<string?>
        {
            prediction.Path,
            prediction.NoFace ? null : prediction.FaceIndex.ToString(CultureInfo.InvariantCulture),
            Pixels(face?.X),
            Pixels(face?.Y),
            Pixels(face?.Width),
            Pixels(face?.Height),
            prediction.Label,
            prediction.NoFace ? null : Probability(prediction.Confidence),
        };
        for (int i = 0; i < topK; i++)
        {
            row.Add(i < prediction.Top.Count ? prediction.Top[i].Label : null);
            row.Add(i < prediction.Top.Count ? Probability(prediction.Top[i].Probability) : null);
        }

        return row.ToArray();
    }

    /// <summary>Writes the CSV to <paramref name="output"/> (left open).</summary>
    public static async Task WriteAsync(TextWriter output, IReadOnlyList<FacePrediction> predictions, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new MemoryStream();
        CsvTable.Write(buffer, Header(topK), predictions.Select(p => Row(p, topK)));
        buffer.Position = 0;
        using var reader = new StreamReader(buffer);
        await output.WriteAsync(await reader.ReadToEndAsync(cancellationToken));
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Writes the CSV to <paramref name="path"/> atomically, and the failures (when any) to <see cref="ErrorsPath"/>.</summary>
    public static void Write(string path, IReadOnlyList<FacePrediction> predictions, IReadOnlyList<ImageFailure> failures, int topK)
    {
        ArgumentNullException.ThrowIfNull(failures);
        CsvTable.Write(path, Header(topK), predictions.Select(p => Row(p, topK)));
        if (failures.Count > 0)
        {
            CsvTable.Write(ErrorsPath(path), ["path", "reason"], failures.Select(f => new[] { f.Path, f.Reason }));
        }
    }

    /// <summary>
    /// Refuses, before any work, to write <paramref name="path"/> or its <see cref="ErrorsPath"/> over an input of the
    /// run or inside an input folder (<see cref="OutputFileGuard"/>).
    /// </summary>
    /// <exception cref="FacePipelineException">One of them is an input or inside one.</exception>
    public static void EnsureWritable(string path, IReadOnlyList<(string Path, string What)> inputs)
    {
        OutputFileGuard.EnsureWritable(path, "--out", inputs);
        OutputFileGuard.EnsureWritable(ErrorsPath(path), "--out", inputs);
    }

    /// <summary>Where the skipped images of <paramref name="path"/> are listed: <c>NAME.errors.csv</c>.</summary>
    public static string ErrorsPath(string path) => Path.ChangeExtension(path, ".errors.csv");

    private static string? Pixels(float? value) => value?.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Probability(double p) => p.ToString("0.######", CultureInfo.InvariantCulture);
}
