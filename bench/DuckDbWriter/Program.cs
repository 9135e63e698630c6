// Usage: DuckDbWriter SOURCE_CACHE_DIR OUT_DIR [ROW_GROUP_SIZE]
// Rewrites every part of SOURCE_CACHE_DIR, sorted by path, into one part OUT_DIR/part-0-duckdb.parquet with DuckDB's
// Parquet writer: its defaults (122 880-row groups, PLAIN floats, Snappy) unless ROW_GROUP_SIZE is given. (Without a
// sort DuckDB keeps the source's row groups as they stream in: Extract's 500 rows.) The facepipeline.* key-value
// metadata of the first part is copied over except the data checksum (the bytes are DuckDB's now), as a user who
// rewrites a cache with DuckDB would. Prints the row groups DuckDB wrote.
using System.Globalization;
using DuckDB.NET.Data;

if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: DuckDbWriter SOURCE_CACHE_DIR OUT_DIR [ROW_GROUP_SIZE]");
    return 2;
}

string source = Path.GetFullPath(args[0]);
string output = Path.GetFullPath(args[1]);
string[] parts = Directory.GetFiles(source, "*.parquet");
if (parts.Length == 0)
{
    Console.Error.WriteLine($"error: {source}: no parts");
    return 1;
}

Directory.CreateDirectory(output);
string target = Path.Combine(output, "part-0-duckdb.parquet");
using var connection = new DuckDBConnection("DataSource=:memory:");
connection.Open();
// The sort spills to the output folder (an in-memory database spills only where told). DuckDB holds a row group whole
// before writing it, so its defaults (one row group for a whole 4 GB cache) need more than 4 GB: measured, a 4 GB limit
// failed with "Out of Memory Error: failed to pin block"; half of this 24 GB machine is left to it.
Query(connection, $"SET memory_limit = '12GB'; SET temp_directory = {Literal(Path.Combine(output, ".duckdb-spill"))}");
var metadata = new List<string>();
foreach (object?[] row in Query(connection, $"SELECT decode(key), decode(value) FROM parquet_kv_metadata({Literal(parts[0])})"))
{
    string key = (string)row[0]!;
    if (key.StartsWith("facepipeline.", StringComparison.Ordinal) && key != "facepipeline.data_sha256")
    {
        metadata.Add($"{Literal(key)}: {Literal((string)row[1]!)}");
    }
}

string rowGroup = args.Length == 3 ? $", ROW_GROUP_SIZE {int.Parse(args[2], CultureInfo.InvariantCulture)}" : string.Empty;
string files = "[" + string.Join(", ", parts.Order(StringComparer.Ordinal).Select(Literal)) + "]";
Query(connection, $"COPY (SELECT * FROM read_parquet({files}) ORDER BY path) TO {Literal(target)} (FORMAT parquet{rowGroup}, KV_METADATA {{{string.Join(", ", metadata)}}})");
foreach (object?[] row in Query(connection, $"SELECT row_group_id, row_group_num_rows, total_compressed_size, encodings, compression FROM parquet_metadata({Literal(target)}) WHERE path_in_schema LIKE 'features%'"))
{
    Console.WriteLine($"row group {row[0]}: {row[1]} rows, {Convert.ToInt64(row[2], CultureInfo.InvariantCulture) >> 20} MiB of features ({row[3]}, {row[4]})");
}

if (Directory.Exists(Path.Combine(output, ".duckdb-spill")))
{
    Directory.Delete(Path.Combine(output, ".duckdb-spill"), recursive: true);
}

return 0;

static List<object?[]> Query(DuckDBConnection connection, string sql)
{
    using DuckDBCommand command = connection.CreateCommand();
    command.CommandText = sql;
    using DuckDBDataReader reader = command.ExecuteReader();
    var rows = new List<object?[]>();
    while (reader.Read())
    {
        var values = new object?[reader.FieldCount];
        reader.GetValues(values!);
        rows.Add(values);
    }

    return rows;
}

static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
