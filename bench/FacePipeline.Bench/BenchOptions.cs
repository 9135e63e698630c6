namespace FacePipeline.Bench;

/// <summary>The effective options of one benchmark run, parsed once.</summary>
internal sealed record BenchOptions
{
    /// <summary>Sections that can be run (<c>--only</c>).</summary>
    public static IReadOnlyList<string> AllSections { get; } = ["gemm", "inference", "variants", "extract", "head", "predict", "cache-io", "faces", "faceapi"];

    /// <summary>Labelled image folder (one sub-folder per person).</summary>
    public required string Data { get; init; }

    /// <summary>Scratch folder for caches, models and heads (emptied parts are deleted after use).</summary>
    public required string Work { get; init; }

    /// <summary>results.json to write.</summary>
    public required string JsonOut { get; init; }

    /// <summary>RESULTS.md to write.</summary>
    public required string MarkdownOut { get; init; }

    /// <summary>Replace existing result files.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Timed runs per figure.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>Smoke run: fewer images, smaller synthetic sets, VGG16 at batch 1 and 8 only (the caller picks one repeat).</summary>
    public bool Quick { get; init; }

    /// <summary>The ML.NET peer's JSON, or null.</summary>
    public string? PeerJson { get; init; }

    /// <summary>metrics.json of the CLI pipeline on ORL-7/3 (Extract → TrainHead defaults → evaluate --split test), or null.</summary>
    public string? OursMetrics { get; init; }

    /// <summary>Wall seconds of the CLI stages, as measured by bench.sh (name=seconds), or empty.</summary>
    public IReadOnlyDictionary<string, double> CliSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>The lfw-dev folder (one sub-folder per person), or null when absent: the faces section then times on ORL.</summary>
    public string? Lfw { get; init; }

    /// <summary>Where bench.sh left the faces runs (<c>runs.tsv</c> and one folder per run), or null.</summary>
    public string? FacesWork { get; init; }

    /// <summary>Where bench.sh left the face-api peer's runs (<c>peer.json</c>, <c>runs.tsv</c>, <c>ours/</c>), or null.</summary>
    public string? FaceApiWork { get; init; }

    /// <summary>
    /// True when only sections that bench.sh can run on their own (faces, faceapi) run: each is then merged into the
    /// existing result files, whose other sections stay as they are.
    /// </summary>
    public bool MergeOnly => Sections.Count > 0 && Sections.All(s => s is "faces" or "faceapi");

    /// <summary>Sections to run.</summary>
    public IReadOnlySet<string> Sections { get; init; } = AllSections.ToHashSet();

    /// <summary>Images per person used by Extract, Predict and the stage timings (all of them unless quick).</summary>
    public int? ImagesPerPerson => Quick ? 3 : null;

    /// <summary>Rows of the synthetic large cache (10 000 × 25 088 ≈ 1 GB; 1 000 when quick).</summary>
    public int LargeCacheRows => Quick ? 1000 : 10_000;

    /// <summary>Epochs of the 25 088-feature head (20, the default; 3 when quick).</summary>
    public int LargeHeadEpochs => Quick ? 3 : 20;

    /// <summary>VGG16 batch sizes (1, 8, 32; 1 and 8 when quick).</summary>
    public IReadOnlyList<int> VggBatches => Quick ? [1, 8] : [1, 8, 32];
}
