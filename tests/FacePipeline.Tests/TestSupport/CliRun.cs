using FacePipeline.Cli;

namespace FacePipeline.Tests.TestSupport;

/// <summary>Runs a program in-process with captured output.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>The lines written to stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/>.</summary>
    public static async Task<CliRun> RunAsync(Func<string[], CommandIo, CancellationToken, Task<int>> program, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await program(args, new CommandIo(output, error, ErrorIsTerminal: false), CancellationToken.None);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Extract.</summary>
    public static Task<CliRun> Extract(params string[] args) => RunAsync(Cli.Extract.ExtractCommand.RunAsync, args);

    /// <summary>TrainHead.</summary>
    public static Task<CliRun> TrainHead(params string[] args) => RunAsync(Cli.TrainHead.TrainHeadCommand.RunAsync, args);

    /// <summary>Predict.</summary>
    public static Task<CliRun> Predict(params string[] args) => RunAsync(Cli.Predict.PredictCommand.RunAsync, args);
}
