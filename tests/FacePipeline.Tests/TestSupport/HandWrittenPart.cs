using FacePipeline.Backbones;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using Parquet;
using Parquet.Schema;

namespace FacePipeline.Tests.TestSupport;

/// <summary>
/// Writes cache part files with Parquet.Net's low-level API, bypassing <see cref="FeatureCachePartWriter"/>'s checks,
/// so tests can build parts the writer would refuse (feature lists of other lengths, identities that claim anything).
/// The parts have the columns of format version 1 (no face columns), which the reader still reads.
/// </summary>
public static class HandWrittenPart
{
    /// <summary>The five columns of format version 1: <c>path, label, split, sha256, features</c>.</summary>
    public static ParquetSchema Version1Schema { get; } = new(FeatureCacheSchema.Schema.Fields.Take(5).ToArray());

    /// <summary>A test identity of whole images with <paramref name="featureShape"/>.</summary>
    public static FeatureIdentity Identity(string name = "fixture", params int[] featureShape) =>
        new(new BackboneIdentity(name, new string('a', 64), "size=2x2;resize=Stretch;order=Rgb;layout=Nchw;scale=1", "2x2", featureShape.Length == 0 ? [4] : featureShape), FaceStage.None);

    /// <summary>Writes <paramref name="rows"/> as one row group, with the metadata of <paramref name="identity"/>.</summary>
    public static async Task WriteAsync(string path, FeatureIdentity identity, IReadOnlyList<FeatureRow> rows, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using FileStream stream = File.Create(path);
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(Version1Schema, stream);
        writer.CustomMetadata = metadata ?? FeatureCacheSchema.Metadata(identity, "test");
        DataField[] fields = Version1Schema.GetDataFields();
        using ParquetRowGroupWriter group = writer.CreateRowGroup();
        await group.WriteAsync(fields[0], rows.Select(r => r.Path).ToArray(), null);
        await group.WriteAsync(fields[1], rows.Select(r => r.Label).ToArray(), null);
        await group.WriteAsync(fields[2], rows.Select(r => r.Split).ToArray(), null);
        await group.WriteAsync(fields[3], rows.Select(r => r.Sha256).ToArray(), null);
        float[] values = rows.SelectMany(r => r.Features).ToArray();
        int[] definition = Enumerable.Repeat(fields[4].MaxDefinitionLevel, values.Length).ToArray();
        // Repetition level 0 starts a row's list, 1 continues it: each row's list has its own length here.
        int[] repetition = rows.SelectMany(r => r.Features.Select((_, i) => i == 0 ? 0 : 1)).ToArray();
        await group.WriteAllPartsAsync<float>(fields[4], values, definition, repetition, CancellationToken.None);
    }

    /// <summary>A row whose features are <paramref name="features"/>.</summary>
    public static FeatureRow Row(string path, string label, params float[] features) =>
        new(path, label, null, new string('0', 64), features);
}
