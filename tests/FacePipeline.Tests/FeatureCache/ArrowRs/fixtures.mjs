// A feature-cache part written by arrow-rs (the Rust Parquet writer, as parquet-wasm 0.8.0 on apache-arrow 21.2.0),
// for ForeignWrittenCacheTests: parquet-mr's (Spark's) way of writing floats at a small scale. Dictionary encoding is
// on, as in parquet-mr, and the dictionary page limit is 4 KiB instead of 1 MiB, so the features chunk starts with a
// dictionary page and RLE_DICTIONARY data pages, then falls back to PLAIN pages when the dictionary is full; data
// pages of at most 8 KiB instead of 1 MiB; all 4 500 rows in one row group, as a 128 MB Spark group would hold them.
// Rows as DuckDb/fixtures.sql defines them (row i: person s(i mod 12), feature j = sin(16 i + j) as float).
// Run from this folder: npm install parquet-wasm@0.8.0 apache-arrow@21.2.0 && node fixtures.mjs
import { tableFromArrays, tableToIPC, makeVector, vectorFromArray, List, Float32, Field, Utf8, Table as ArrowTable } from 'apache-arrow';
import { Table, writeParquet, WriterPropertiesBuilder, Compression } from 'parquet-wasm';
import { writeFileSync } from 'node:fs';

const rows = 4500, length = 16;
const range = n => Array.from({ length: n }, (_, i) => i);
const path = range(rows).map(i => `s${i % 12}/${String(i).padStart(7, '0')}.jpg`);
const floatList = () => new List(new Field('element', new Float32(), false));
const features = vectorFromArray(range(rows).map(i => Float32Array.from(range(length), j => Math.fround(Math.sin(16 * i + j)))), floatList());
const nothing = type => vectorFromArray(range(rows).map(() => null), type);
const table = new ArrowTable({
  path: vectorFromArray(path, new Utf8()),
  label: vectorFromArray(range(rows).map(i => `s${i % 12}`), new Utf8()),
  split: nothing(new Utf8()),
  sha256: vectorFromArray(range(rows).map(() => '0'.repeat(64)), new Utf8()),
  features,
  face_x: nothing(new Float32()), face_y: nothing(new Float32()), face_w: nothing(new Float32()), face_h: nothing(new Float32()),
  face_landmarks: nothing(floatList()),
  face_score: nothing(new Float32()),
});
const identity = new Map([
  ['facepipeline.format_version', '2'], ['facepipeline.tool_version', 'arrow-rs-fixture'],
  ['facepipeline.backbone.name', 'synthetic'], ['facepipeline.backbone.model_sha256', '0'.repeat(64)],
  ['facepipeline.backbone.preprocessing', 'synthetic'], ['facepipeline.backbone.input_size', '224x224'],
  ['facepipeline.backbone.feature_shape', '[16]'], ['facepipeline.backbone.normalize', 'none'],
  ['facepipeline.feature_length', '16'], ['facepipeline.face_stage', 'none:orient=exif'],
]);
const properties = new WriterPropertiesBuilder()
  .setCompression(Compression.SNAPPY)
  .setDictionaryEnabled(true)
  .setDictionaryPageSizeLimit(4096)
  .setDataPageSizeLimit(8192)
  .setMaxRowGroupSize(rows)
  .setKeyValueMetadata(identity)
  .build();
writeFileSync('dictionary-fallback-snappy.parquet', writeParquet(Table.fromIPCStream(tableToIPC(table, 'stream')), properties));
