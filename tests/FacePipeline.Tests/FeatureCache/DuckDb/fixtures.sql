-- Three feature-cache parts written by DuckDB 1.5.6 (DuckDB.NET.Data.Full 1.5.6.1's libduckdb), for
-- ForeignWrittenCacheTests. Run from this folder with any DuckDB 1.5 client (`duckdb < fixtures.sql`); the files are
-- committed because no DuckDB is installed where the tests run. 4 500 rows of 16 floats in row groups of 2 048 rows
-- (2 048, 2 048, 404), DuckDB's own column layout (every column OPTIONAL), FacePipeline's identity in the footer's
-- key-value metadata (what a user copies over when they rewrite a cache with DuckDB), no data checksum, and the
-- placeholder image checksum of FacePipeline.Bench synthetic-cache.
-- Row i, person s(i mod 12); feature j of row i is sin(16 i + j) as float (dictionary-*: rounded to quarters).
CREATE MACRO rows(quarters) AS TABLE
  SELECT 's' || (i % 12) || '/' || lpad(i::VARCHAR, 7, '0') || '.jpg' AS path,
         's' || (i % 12) AS label,
         NULL::VARCHAR AS split,
         repeat('0', 64) AS sha256,
         list_transform(range(16), j -> CASE WHEN quarters THEN (round(sin(i * 16 + j) * 4) / 4)::FLOAT ELSE sin(i * 16 + j)::FLOAT END) AS features,
         NULL::FLOAT AS face_x, NULL::FLOAT AS face_y, NULL::FLOAT AS face_w, NULL::FLOAT AS face_h,
         NULL::FLOAT[] AS face_landmarks, NULL::FLOAT AS face_score
  FROM range(4500) t(i) ORDER BY i;
-- The identity struct below is the same in each COPY (KV_METADATA takes a constant STRUCT).
-- DuckDB's defaults (format v1): PLAIN floats, Snappy.
COPY (FROM rows(false)) TO 'plain-snappy.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION snappy, KV_METADATA {'facepipeline.format_version': '2', 'facepipeline.tool_version': 'duckdb-fixture', 'facepipeline.backbone.name': 'synthetic', 'facepipeline.backbone.model_sha256': '0000000000000000000000000000000000000000000000000000000000000000', 'facepipeline.backbone.preprocessing': 'synthetic', 'facepipeline.backbone.input_size': '224x224', 'facepipeline.backbone.feature_shape': '[16]', 'facepipeline.backbone.normalize': 'none', 'facepipeline.feature_length': '16', 'facepipeline.face_stage': 'none:orient=exif'});
-- Few distinct values: DuckDB chooses a dictionary (PLAIN_DICTIONARY pages).
COPY (FROM rows(true)) TO 'dictionary-snappy.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION snappy, KV_METADATA {'facepipeline.format_version': '2', 'facepipeline.tool_version': 'duckdb-fixture', 'facepipeline.backbone.name': 'synthetic', 'facepipeline.backbone.model_sha256': '0000000000000000000000000000000000000000000000000000000000000000', 'facepipeline.backbone.preprocessing': 'synthetic', 'facepipeline.backbone.input_size': '224x224', 'facepipeline.backbone.feature_shape': '[16]', 'facepipeline.backbone.normalize': 'none', 'facepipeline.feature_length': '16', 'facepipeline.face_stage': 'none:orient=exif'});
-- Format v2: BYTE_STREAM_SPLIT floats in data pages v2, zstd.
COPY (FROM rows(false)) TO 'bss-zstd-v2.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION zstd, PARQUET_VERSION v2, KV_METADATA {'facepipeline.format_version': '2', 'facepipeline.tool_version': 'duckdb-fixture', 'facepipeline.backbone.name': 'synthetic', 'facepipeline.backbone.model_sha256': '0000000000000000000000000000000000000000000000000000000000000000', 'facepipeline.backbone.preprocessing': 'synthetic', 'facepipeline.backbone.input_size': '224x224', 'facepipeline.backbone.feature_shape': '[16]', 'facepipeline.backbone.normalize': 'none', 'facepipeline.feature_length': '16', 'facepipeline.face_stage': 'none:orient=exif'});
