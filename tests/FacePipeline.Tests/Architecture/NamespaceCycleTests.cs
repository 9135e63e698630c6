using System.Text.RegularExpressions;
using FacePipeline.Tests.TestSupport;
using Xunit;

namespace FacePipeline.Tests.Architecture;

/// <summary>
/// No namespace of src/FacePipeline.Core uses a namespace that uses it back, directly or through others. A use is a
/// <c>using FacePipeline.X;</c> line or a qualified reference in code (<c>X.Type</c> or <c>FacePipeline.X.Type</c>
/// naming a type declared in namespace X); comments and documentation do not count.
/// </summary>
public sealed partial class NamespaceCycleTests
{
    [Fact]
    public void Core_namespaces_have_no_cycle()
    {
        Dictionary<string, SortedSet<string>> uses = NamespaceUses(Path.Combine(TestPaths.RepoRoot, "src", "FacePipeline.Core"));

        Assert.NotEmpty(uses);
        Assert.Empty(Cycles(uses));
    }

    [Fact]
    public void A_cycle_is_found_and_named()
    {
        var uses = new Dictionary<string, SortedSet<string>>
        {
            ["Backbones"] = ["Imaging", "Faces"],
            ["Faces"] = ["Backbones"],
            ["Head"] = ["Evaluation"],
            ["Evaluation"] = ["Prediction"],
            ["Prediction"] = ["Head"],
            ["Imaging"] = [],
        };

        Assert.Equal(["Backbones -> Faces -> Backbones", "Evaluation -> Prediction -> Head -> Evaluation"], Cycles(uses));
    }

    [Fact]
    public void Usings_and_qualified_references_count_but_comments_do_not()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("A.cs"), "using FacePipeline.Bee;\n\nnamespace FacePipeline.Ay;\n\npublic sealed class A { }\n");
        File.WriteAllText(temp.Combine("B.cs"), "namespace FacePipeline.Bee;\n\n/// <see cref=\"Cee.C\"/>\npublic sealed class B { private Ay.A? a; }\n");
        File.WriteAllText(temp.Combine("C.cs"), "namespace FacePipeline.Cee;\n\n// Bee.B is mentioned only here\npublic sealed class C { }\n");

        Dictionary<string, SortedSet<string>> uses = NamespaceUses(temp.Path);

        Assert.Equal(["Bee"], uses["Ay"]);
        Assert.Equal(["Ay"], uses["Bee"]);
        Assert.Empty(uses["Cee"]);
        Assert.Equal(["Ay -> Bee -> Ay"], Cycles(uses));
    }

    /// <summary>Each namespace (without the <c>FacePipeline.</c> prefix) with the sibling namespaces its code uses.</summary>
    private static Dictionary<string, SortedSet<string>> NamespaceUses(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Text: File.ReadAllText(f), Namespace: NamespaceLine().Match(File.ReadAllText(f)).Groups[1].Value))
            .Where(f => f.Namespace.Length > 0)
            .ToList();
        var types = files
            .GroupBy(f => f.Namespace)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal));
        var uses = types.Keys.ToDictionary(n => n, _ => new SortedSet<string>(StringComparer.Ordinal));
        foreach ((string text, string own) in files)
        {
            foreach (string line in text.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith("//", StringComparison.Ordinal)))
            {
                Match usingLine = UsingLine().Match(line);
                IEnumerable<string> used = usingLine.Success
                    ? [usingLine.Groups[1].Value]
                    : QualifiedReference().Matches(line)
                        .Where(m => types.TryGetValue(m.Groups[1].Value, out HashSet<string>? declared) && declared.Contains(m.Groups[2].Value))
                        .Select(m => m.Groups[1].Value);
                uses[own].UnionWith(used.Where(n => n != own && types.ContainsKey(n)));
            }
        }

        return uses;
    }

    /// <summary>Every elementary cycle once, starting at its alphabetically first namespace, e.g. <c>Faces -> Backbones -> Faces</c>.</summary>
    private static List<string> Cycles(Dictionary<string, SortedSet<string>> uses)
    {
        var cycles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string start in uses.Keys)
        {
            var path = new List<string> { start };
            Walk(start);

            void Walk(string at)
            {
                foreach (string next in uses.GetValueOrDefault(at, []))
                {
                    if (next == start)
                    {
                        cycles.Add(string.Join(" -> ", [.. path, start]));
                    }
                    else if (string.CompareOrdinal(next, start) > 0 && !path.Contains(next))
                    {
                        path.Add(next);
                        Walk(next);
                        path.RemoveAt(path.Count - 1);
                    }
                }
            }
        }

        return [.. cycles];
    }

    [GeneratedRegex(@"^namespace\s+FacePipeline\.(\w+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"^using\s+FacePipeline\.(\w+)\s*;")]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"\b(?:class|record|struct|enum|interface)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"(?<![\w.])(?:FacePipeline\.)?(\w+)\.(\w+)")]
    private static partial Regex QualifiedReference();
}
