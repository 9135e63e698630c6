using System.Globalization;
using FacePipeline.Backbones;
using FacePipeline.Dataset;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using Parquet;
using Parquet.Schema;

namespace FacePipeline.Fixtures;

/// <summary>
/// Writes a feature cache of seeded synthetic rows with the real writer (row groups of
/// <see cref="FeatureCacheSchema.RowGroupRows"/>, parts of <see cref="FeatureCacheSchema.PartRows"/>): row i is labelled
/// <c>s{i mod classes + 1}</c>, its features are ReLU(N(0, 1) + 1 on the features j with (j + class) mod classes = 0), so
/// a head can learn the classes. For memory and streaming tests and benchmarks (a VGG16-width cache without images).
/// </summary>
public static class SyntheticFeatureCache
{
    /// <summary>The identity recorded for synthetic features of <paramref name="featureLength"/> floats.</summary>
    public static FeatureIdentity Identity(int featureLength) => new(
        featureLength == 25_088
            ? new BackboneIdentity("synthetic-vgg16-shape", new string('0', 64), "synthetic", "224x224", [7, 7, 512])
            : new BackboneIdentity("synthetic", new string('0', 64), "synthetic", "224x224", [featureLength]),
        FaceStage.None);

    /// <summary>Writes <paramref name="rows"/> rows into <paramref name="folder"/> (created).</summary>
    public static async Task WriteAsync(string folder, int rows, int featureLength, int classes, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        var random = new Random(seed);
        FeatureIdentity identity = Identity(featureLength);
        for (int start = 0, part = 0; start < rows; start += FeatureCacheSchema.PartRows, part++)
        {
            string path = Path.Combine(folder, FeatureCacheLayout.PartFileName(FeatureCacheLayout.PartPrefix(ShardSpec.All), "synthetic", part));
            await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(path, identity, "synthetic", cancellationToken);
            for (int i = start; i < Math.Min(rows, start + FeatureCacheSchema.PartRows); i++)
            {
                int label = i % classes;
                var features = new float[featureLength];
                for (int j = 0; j < featureLength; j++)
                {
                    double shift = (j + label) % classes == 0 ? 1.0 : 0.0;
                    features[j] = (float)Math.Max(0, NextNormal(random) + shift);
                }

                string name = string.Create(CultureInfo.InvariantCulture, $"s{label + 1}/{i:D7}.jpg");
                await writer.AddAsync(new FeatureRow(name, string.Create(CultureInfo.InvariantCulture, $"s{label + 1}"), null, new string('0', 64), features), cancellationToken);
            }

            await writer.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Writes the same rows as <see cref="WriteAsync"/> into one part laid out the way other writers lay out a cache
    /// (DuckDB writes row groups of 2 048 rows, Spark of about 128 MB): only the columns <c>path, label, split, sha256,
    /// features</c>, in row groups of <paramref name="rowGroupRows"/>, with <paramref name="options"/> (codec, encoding
    /// hints), and the cache's identity metadata. Parquet.Net writes one page per column chunk, as DuckDB does.
    /// </summary>
    public static async Task WriteLargeGroupsAsync(
        string folder, int rows, int featureLength, int classes, int seed, int rowGroupRows, ParquetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        DataField[] fields = FeatureCacheSchema.Schema.GetDataFields();
        var schema = new ParquetSchema(FeatureCacheSchema.Schema.Fields.Take(5).ToArray());
        await using FileStream stream = File.Create(Path.Combine(folder, "part-large-groups-00000.parquet"));
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream, options, cancellationToken: cancellationToken);
        writer.CustomMetadata = FeatureCacheSchema.Metadata(Identity(featureLength), "synthetic");
        for (int start = 0; start < rows; start += rowGroupRows)
        {
            int count = Math.Min(rowGroupRows, rows - start);
            var labels = new string[count];
            var paths = new string[count];
            var values = new float[(long)count * featureLength];
            var repetition = new int[values.Length];
            var definition = new int[values.Length];
            Array.Fill(definition, fields[4].MaxDefinitionLevel);
            for (int i = 0; i < count; i++)
            {
                int label = (start + i) % classes;
                labels[i] = string.Create(CultureInfo.InvariantCulture, $"s{label + 1}");
                paths[i] = string.Create(CultureInfo.InvariantCulture, $"s{label + 1}/{start + i:D7}.jpg");
                for (int j = 0; j < featureLength; j++)
                {
                    double shift = (j + label) % classes == 0 ? 1.0 : 0.0;
                    values[((long)i * featureLength) + j] = (float)Math.Max(0, NextNormal(random) + shift);
                }

                Array.Fill(repetition, 1, (i * featureLength) + 1, featureLength - 1);
            }

            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await group.WriteAsync(fields[0], paths, null);
            await group.WriteAsync(fields[1], labels, null);
            await group.WriteAsync(fields[2], new string?[count], null);
            await group.WriteAsync(fields[3], Enumerable.Repeat(new string('0', 64), count).ToArray(), null);
            await group.WriteAllPartsAsync<float>(fields[4], values, definition, repetition, cancellationToken);
        }
    }

    private static double NextNormal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
