using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FacePipeline.Bench;

/// <summary>
/// Counts the multiply-accumulates per image of an ONNX model from the model itself: every Conv, Gemm and MatMul that
/// feeds the feature output is made a graph output, the model runs once on one image, and each node's MACs are its
/// output element count times the length of its dot products (weights from the initializers). FLOP = 2 × MAC.
/// Pooling, ReLU, additions and batch-norm are left out (well under 1 % for these networks).
/// </summary>
internal static class FlopCounter
{
    /// <summary>MACs per image and the nodes counted (name, op, weight shape, output shape, MACs).</summary>
    public static (double Macs, IReadOnlyList<(string Name, string Op, long[] Weight, long[] Output, double Macs)> Nodes) CountMacs(string modelPath, string outputName, long[] oneImageShape)
    {
        ModelProto model = ModelProto.Parser.ParseFromFile(modelPath);
        Dictionary<string, TensorProto> initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        List<NodeProto> counted = Ancestors(model.Graph, outputName)
            .Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Input.Count > 1 && initializers.ContainsKey(n.Input[1]))
            .ToList();
        var existing = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (NodeProto node in counted.Where(n => !existing.Contains(n.Output[0])))
        {
            model.Graph.Output.Add(new ValueInfoProto { Name = node.Output[0] });
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model.ToByteArray(), options);
        string inputName = session.InputMetadata.Keys.Single();
        long length = oneImageShape.Aggregate(1L, (p, d) => p * d);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(new float[length], oneImageShape);
        string[] names = counted.Select(n => n.Output[0]).ToArray();
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [inputName], [input], names);
        var nodes = new List<(string, string, long[], long[], double)>();
        for (int i = 0; i < counted.Count; i++)
        {
            long[] shape = outputs[i].GetTensorTypeAndShape().Shape;
            TensorProto weight = initializers[counted[i].Input[1]];
            double macs = shape.Aggregate(1L, (p, d) => p * d) * (double)DotLength(counted[i], weight);
            nodes.Add((counted[i].Name, counted[i].OpType, weight.Dims.ToArray(), shape, macs));
        }

        return (nodes.Sum(n => n.Item5), nodes);
    }

    /// <summary>Multiplies per output element: Cin/group × kernel area for Conv, K for Gemm and MatMul.</summary>
    private static long DotLength(NodeProto node, TensorProto weight)
    {
        long[] dims = weight.Dims.ToArray();
        if (node.OpType == "Conv")
        {
            return dims.Skip(1).Aggregate(1L, (p, d) => p * d);
        }

        bool transposed = node.OpType == "Gemm" && node.Attribute.Any(a => a.Name == "transB" && a.I == 1);
        return transposed ? dims[^1] : dims[0];
    }

    /// <summary>Nodes on which <paramref name="output"/> depends.</summary>
    private static IEnumerable<NodeProto> Ancestors(GraphProto graph, string output)
    {
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            foreach (string name in node.Output)
            {
                producer[name] = node;
            }
        }

        var seen = new HashSet<NodeProto>();
        var pending = new Stack<string>([output]);
        while (pending.Count > 0)
        {
            if (producer.TryGetValue(pending.Pop(), out NodeProto? node) && seen.Add(node))
            {
                foreach (string input in node.Input)
                {
                    pending.Push(input);
                }
            }
        }

        return graph.Node.Where(seen.Contains);
    }
}
