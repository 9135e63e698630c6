namespace FacePipeline.Cli;

/// <summary>
/// Where a command writes: results to <see cref="Out"/>, errors and progress to <see cref="Error"/>. Tests pass
/// string writers; the programs pass the console.
/// </summary>
/// <param name="Out">Results (CSV, JSON).</param>
/// <param name="Error">Errors, notes and progress.</param>
/// <param name="ErrorIsTerminal">Whether <see cref="Error"/> is an interactive terminal (draw a progress bar) or not (plain lines).</param>
public sealed record CommandIo(TextWriter Out, TextWriter Error, bool ErrorIsTerminal)
{
    /// <summary>The process console.</summary>
    public static CommandIo Console { get; } = new(System.Console.Out, System.Console.Error, !System.Console.IsErrorRedirected);

    /// <summary>Writes <c>error: MESSAGE</c> as one line.</summary>
    public void WriteError(string message) => Error.WriteLine($"error: {OneLine(message)}");

    /// <summary>Writes a note or warning line as given.</summary>
    public void WriteNote(string message) => Error.WriteLine(OneLine(message));

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
