using FacePipeline.Backbones;
using FacePipeline.Faces;
using FacePipeline.FeatureCache;
using FacePipeline.Features;
using FacePipeline.Tests.TestSupport;
using Parquet;
using Xunit;

namespace FacePipeline.Tests.FeatureCache;

/// <summary>Cache parts: round trips, metadata identity, row groups, atomic commits and the refusals.</summary>
public sealed class FeatureCacheTests : IDisposable
{
    private static readonly FeatureIdentity Fixture = HandWrittenPart.Identity("fixture", 4);

    private readonly TempFolder temp = new();

    [Fact]
    public async Task Rows_round_trip_with_null_split_and_unicode()
    {
        FeatureRow[] rows =
        [
            new("s1/1.pgm", "s1", "train", new string('1', 64), [0.5f, -1.25f, float.MaxValue, 0f]),
            new("s1/2.pgm", "s1", null, new string('2', 64), [1, 2, 3, 4]),
            new("李雷/照片 1.jpg", "李雷", "test", new string('3', 64), [float.Epsilon, -0f, 1e-30f, 7]),
        ];

        await WritePartAsync(temp.Combine("part-a.parquet"), Fixture, rows);
        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(temp.Path);
        List<FeatureRow> back = await ReadAllAsync(reader);

        Assert.Equal(3, reader.RowCount);
        Assert.Equal(3, back.Count);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].Path, back[i].Path);
            Assert.Equal(rows[i].Label, back[i].Label);
            Assert.Equal(rows[i].Split, back[i].Split);
            Assert.Equal(rows[i].Sha256, back[i].Sha256);
            Assert.Equal(rows[i].Features, back[i].Features);
        }
    }

    [Fact]
    public async Task The_metadata_carries_the_backbone_identity()
    {
        var identity = new FeatureIdentity(new BackboneIdentity("vgg-like", new string('c', 64), "size=224x224;order=Bgr", "224x224", [7, 7, 2]), FaceStage.None);
        await WritePartAsync(temp.Combine("part-a.parquet"), identity, [new FeatureRow("a", "s1", null, new string('0', 64), new float[98])]);

        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(temp.Path);
        await using FileStream stream = File.OpenRead(temp.Combine("part-a.parquet"));
        await using ParquetReader parquet = await ParquetReader.CreateAsync(stream);

        Assert.True(reader.Identity!.Matches(identity));
        Assert.Equal([7, 7, 2], reader.Identity.Backbone.FeatureShape);
        Assert.Equal(98, reader.Identity.FeatureLength);
        Assert.Equal("2", parquet.CustomMetadata["facepipeline.format_version"]);
        Assert.Equal("none:orient=exif", parquet.CustomMetadata["facepipeline.face_stage"]);
        Assert.Equal("vgg-like", parquet.CustomMetadata["facepipeline.backbone.name"]);
        Assert.Equal(new string('c', 64), parquet.CustomMetadata["facepipeline.backbone.model_sha256"]);
        Assert.Equal("[7,7,2]", parquet.CustomMetadata["facepipeline.backbone.feature_shape"]);
        Assert.Equal("98", parquet.CustomMetadata["facepipeline.feature_length"]);
        Assert.Equal(["path", "label", "split", "sha256", "features", "face_x", "face_y", "face_w", "face_h", "face_landmarks", "face_score"], parquet.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public async Task Face_columns_and_face_stage_round_trip_with_whole_image_rows_as_nulls()
    {
        var identity = Fixture with { FaceStage = FaceStage.Parse("detect:blazeface-front:sha256=ab:template=generic:pick=largest:min-score=0.5", "test") };
        FeatureRow[] rows =
        [
            new("a", "s1", "train", new string('0', 64), [1, 2, 3, 4], new DetectedFace(new FaceBox(10, 20, 30, 40), 0.9f, [new(FaceLandmarkNames.RightEye, new(1, 2)), new(FaceLandmarkNames.LeftEye, new(3, 4)), new(FaceLandmarkNames.NoseTip, new(5, 6))])),
            new("b", "s1", null, new string('1', 64), [5, 6, 7, 8]),
            new("c", "s2", "test", new string('2', 64), [9, 10, 11, 12], new DetectedFace(new FaceBox(1.5f, 2.5f, 3.5f, 4.5f), 0.6f, [])),
            new("d", "s2", "test", new string('3', 64), [13, 14, 15, 16], DetectedFace.FromPoints(new FaceBox(0, 0, 5, 5), 0.7f, [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])),
        ];
        await WritePartAsync(temp.Combine("part-faces.parquet"), identity, rows);

        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(temp.Path);
        List<FeatureRow> back = await reader.ReadRowsAsync().ToListAsync();

        Assert.Equal(identity.FaceStage, reader.Identity!.FaceStage);
        Assert.Equal(new FaceBox(10, 20, 30, 40), back[0].Face!.Box);
        Assert.Equal(0.9f, back[0].Face!.Score);
        Assert.Equal([1f, 2, 3, 4, 5, 6], back[0].Face!.LandmarkValues);
        Assert.Equal(["point0", "point1", "point2"], back[0].Face!.LandmarkNames);
        Assert.Null(back[1].Face);
        Assert.Equal([5f, 6, 7, 8], back[1].Features);
        Assert.Empty(back[2].Face!.Landmarks);
        Assert.Equal(3.5f, back[2].Face!.Box.Width);
        Assert.Equal(Enumerable.Range(7, 12).Select(v => (float)v), back[3].Face!.LandmarkValues);
        Assert.Equal([13f, 14, 15, 16], back[3].Features);
    }

    [Fact]
    public async Task A_version_1_part_without_face_columns_reads_as_face_stage_none()
    {
        var metadata = FeatureCacheSchema.Metadata(Fixture, "0.1");
        metadata["facepipeline.format_version"] = "1";
        metadata.Remove("facepipeline.face_stage");
        await HandWrittenPart.WriteAsync(temp.Combine("part-v1.parquet"), Fixture, [HandWrittenPart.Row("a", "s1", 1, 2, 3, 4)], metadata);

        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(temp.Path);
        FeatureRow row = Assert.Single(await reader.ReadRowsAsync().ToListAsync());

        Assert.Equal("none", reader.Identity!.FaceStage.Identity);
        Assert.True(reader.Identity.Matches(Fixture with { FaceStage = FaceStage.Parse(FaceStage.NoneIdentity, "test") }));
        Assert.Null(row.Face);
        Assert.Equal([1f, 2, 3, 4], row.Features);
    }

    [Fact]
    public async Task Parts_of_two_face_stages_are_refused_with_one_line_naming_the_stages()
    {
        await WritePartAsync(temp.Combine("part-a.parquet"), Fixture, [new FeatureRow("a", "s1", null, new string('0', 64), [1, 2, 3, 4])]);
        var detect = Fixture with { FaceStage = FaceStage.Parse("detect:blazeface-front:sha256=ab:template=generic:pick=largest:min-score=0.5", "test") };
        await WritePartAsync(temp.Combine("part-b.parquet"), detect, [new FeatureRow("b", "s1", null, new string('1', 64), [1, 2, 3, 4], new DetectedFace(new FaceBox(0, 0, 1, 1), 0.9f, []))]);

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheReader.OpenAsync(temp.Path));

        Assert.Equal(
            $"{temp.Combine("part-b.parquet")}: made with face stage detect (blazeface-front, generic, stored orientation, no min-face), but part-a.parquet with none; a cache holds one face stage's features (re-run Extract with --rebuild)",
            error.Message);
    }

    [Fact]
    public async Task More_rows_than_a_row_group_stream_back_in_order()
    {
        int count = FeatureCacheSchema.RowGroupRows * 2 + 37;
        FeatureRow[] rows = Enumerable.Range(0, count)
            .Select(i => new FeatureRow($"p/{i:D5}.png", $"s{i % 7}", i % 3 == 0 ? null : "train", i.ToString("D64"), [i, -i, i * 0.5f, 1]))
            .ToArray();

        await WritePartAsync(temp.Combine("part-big.parquet"), Fixture, rows);
        await using (FileStream stream = File.OpenRead(temp.Combine("part-big.parquet")))
        await using (ParquetReader parquet = await ParquetReader.CreateAsync(stream))
        {
            Assert.Equal(3, parquet.RowGroupCount);
        }

        List<FeatureRow> back = await ReadAllAsync(await FeatureCacheReader.OpenAsync(temp.Path));
        Assert.Equal(count, back.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(rows[i].Path, back[i].Path);
            Assert.Equal(rows[i].Split, back[i].Split);
            Assert.Equal(rows[i].Features, back[i].Features);
        }
    }

    [Fact]
    public async Task An_uncommitted_part_leaves_nothing_visible_and_no_temporary_after_dispose()
    {
        string final = temp.Combine("part-x.parquet");
        FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(final, Fixture, "test");
        await writer.AddAsync(HandWrittenPart.Row("a", "s1", 1, 2, 3, 4));

        FeatureCacheReader during = await FeatureCacheReader.OpenAsync(temp.Path);
        Assert.Empty(during.Parts);
        Assert.False(File.Exists(final));
        Assert.Single(Directory.GetFiles(temp.Path), f => Path.GetFileName(f).StartsWith(".part-x.parquet.", StringComparison.Ordinal));

        await writer.DisposeAsync();

        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task A_committed_part_replaces_its_file_atomically()
    {
        string final = temp.Combine("part-x.parquet");
        await WritePartAsync(final, Fixture, [HandWrittenPart.Row("old", "s1", 1, 1, 1, 1)]);
        await WritePartAsync(final, Fixture, [HandWrittenPart.Row("new", "s2", 2, 2, 2, 2)]);

        FeatureRow row = Assert.Single(await ReadAllAsync(await FeatureCacheReader.OpenAsync(temp.Path)));

        Assert.Equal("new", row.Path);
        Assert.Equal(["part-x.parquet"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_writer_refuses_a_vector_of_another_length()
    {
        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(temp.Combine("part-x.parquet"), Fixture, "test");

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => writer.AddAsync(HandWrittenPart.Row("s1/odd.pgm", "s1", 1, 2, 3)));

        Assert.Equal("s1/odd.pgm: feature vector has 3 values, the cache holds 4", error.Message);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 3, 5 })]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 4, 4, 6 })]
    public async Task A_part_with_feature_lists_of_another_length_is_refused(int[] lengths)
    {
        string part = temp.Combine("part-bad.parquet");
        FeatureRow[] rows = lengths.Select((n, i) => HandWrittenPart.Row($"r{i}", "s1", Enumerable.Range(1, n).Select(v => (float)v).ToArray())).ToArray();
        await HandWrittenPart.WriteAsync(part, Fixture, rows);

        FeatureCacheReader reader = await FeatureCacheReader.OpenAsync(temp.Path);
        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => ReadAllAsync(reader));

        Assert.Equal($"{part}: feature vectors of inconsistent length (expected 4 per row); re-run Extract with --rebuild", error.Message);
    }

    [Fact]
    public async Task Parts_from_two_backbones_in_one_folder_are_refused()
    {
        await WritePartAsync(temp.Combine("part-a.parquet"), Fixture, [HandWrittenPart.Row("a", "s1", 1, 2, 3, 4)]);
        FeatureIdentity other = Fixture with { Backbone = Fixture.Backbone with { ModelSha256 = new string('b', 64) } };
        await WritePartAsync(temp.Combine("part-b.parquet"), other, [HandWrittenPart.Row("b", "s1", 1, 2, 3, 4)]);

        FacePipelineException error = await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheReader.OpenAsync(temp.Path));

        Assert.StartsWith($"{temp.Combine("part-b.parquet")}: made with backbone fixture (sha256 bbbbbbbbbbbb…, 4), but part-a.parquet with fixture (sha256 aaaaaaaaaaaa…, 4);", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("a cache holds one backbone's features (re-run Extract with --rebuild)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_visible_parts_with_the_asked_prefix_are_read()
    {
        await WritePartAsync(temp.Combine("part-a.parquet"), Fixture, [HandWrittenPart.Row("a", "s1", 1, 2, 3, 4)]);
        await WritePartAsync(temp.Combine("part-shard1of2-a.parquet"), Fixture, [HandWrittenPart.Row("b", "s1", 1, 2, 3, 4)]);
        File.WriteAllText(temp.Combine(".part-c.parquet"), "a temporary left by a crash");
        File.WriteAllText(temp.Combine("errors.csv"), "path,reason\n");

        Assert.Equal(2, (await FeatureCacheReader.OpenAsync(temp.Path)).RowCount);
        Assert.Equal(1, Assert.Single(await FeatureCacheReader.ListPartsAsync(temp.Path, "part-shard1of2-", CancellationToken.None)).RowCount);
    }

    [Fact]
    public async Task Missing_folders_unreadable_parts_and_foreign_parquet_are_refused_with_a_way_out()
    {
        string missing = temp.Combine("none");
        Assert.Equal($"{missing}: feature cache not found; run Extract first", (await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheReader.OpenAsync(missing))).Message);

        File.WriteAllText(temp.Combine("part-garbage.parquet"), "not parquet at all");
        FacePipelineException garbage = await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheReader.OpenAsync(temp.Path));
        Assert.StartsWith($"{temp.Combine("part-garbage.parquet")}: not a readable Parquet file (", garbage.Message, StringComparison.Ordinal);
        Assert.EndsWith("; delete it or re-run Extract with --rebuild", garbage.Message, StringComparison.Ordinal);
        File.Delete(temp.Combine("part-garbage.parquet"));

        string foreign = temp.Combine("part-foreign.parquet");
        await HandWrittenPart.WriteAsync(foreign, Fixture, [HandWrittenPart.Row("a", "s1", 1, 2, 3, 4)], new Dictionary<string, string> { ["writer"] = "pandas" });
        FacePipelineException notOurs = await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheReader.OpenAsync(temp.Path));
        Assert.Equal($"{foreign}: not a FacePipeline feature cache part (metadata 'facepipeline.format_version' missing)", notOurs.Message);

        var future = FeatureCacheSchema.Metadata(Fixture, "9.9");
        future["facepipeline.format_version"] = "3";
        await HandWrittenPart.WriteAsync(foreign, Fixture, [HandWrittenPart.Row("a", "s1", 1, 2, 3, 4)], future);
        FacePipelineException newer = await Assert.ThrowsAsync<FacePipelineException>(() => FeatureCacheReader.OpenAsync(temp.Path));
        Assert.Equal($"{foreign}: cache format version 3, this tool reads versions 1 and 2; re-run Extract with --rebuild", newer.Message);
    }

    public void Dispose() => temp.Dispose();

    private static async Task WritePartAsync(string path, FeatureIdentity identity, IEnumerable<FeatureRow> rows)
    {
        await using FeatureCachePartWriter writer = await FeatureCachePartWriter.CreateAsync(path, identity, "test");
        foreach (FeatureRow row in rows)
        {
            await writer.AddAsync(row);
        }

        await writer.CommitAsync();
    }

    private static Task<List<FeatureRow>> ReadAllAsync(FeatureCacheReader reader) => CacheRows.ReadAllAsync(reader);
}
