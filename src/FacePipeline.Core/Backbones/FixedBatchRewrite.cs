using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace FacePipeline.Backbones;

/// <summary>
/// Turns a model whose batch dimension is fixed into one with a symbolic batch dimension <c>N</c>. Besides the
/// graph's input and output shapes this rewrites the shape tensors of <c>Reshape</c> nodes that bake the batch in
/// (PyTorch exports write <c>[1, -1]</c> before the classifier, often as a <c>Constant</c> node): their leading
/// value becomes 0, "copy the input's batch dimension". Shapes computed at run time (Shape → Gather → Concat)
/// already follow the batch. Other operators that bake the batch in are not recognised here; the caller verifies
/// the rewrite against the original model and falls back if the outputs differ.
/// </summary>
internal static class FixedBatchRewrite
{
    /// <summary>Name of the symbolic batch dimension written into inputs and outputs.</summary>
    public const string BatchDimName = "N";

    /// <summary>Rewrites <paramref name="model"/> in place.</summary>
    /// <param name="model">The parsed model.</param>
    /// <param name="batch">The fixed batch size found in the model's input.</param>
    /// <returns>Null when the rewrite was made; otherwise why it cannot be (the model is then partly changed).</returns>
    public static string? Apply(ModelProto model, long batch)
    {
        GraphProto graph = model.Graph;
        Dictionary<string, TensorProto> initializers = InitializersByName(graph);
        Dictionary<string, TensorProto> constants = ConstantsByOutput(graph);
        var graphInputs = graph.Input.Select(i => i.Name).Where(name => !initializers.ContainsKey(name)).ToHashSet(StringComparer.Ordinal);
        string? problem = RewriteReshapes(graph, batch, initializers, constants, graphInputs);
        if (problem is not null)
        {
            return problem;
        }

        MakeBatchSymbolic(graph, graphInputs, batch);
        // Intermediate shapes recorded by the exporter carry the old batch; ONNX Runtime infers them again.
        graph.ValueInfo.Clear();
        return null;
    }

    private static Dictionary<string, TensorProto> InitializersByName(GraphProto graph)
    {
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto tensor in graph.Initializer)
        {
            initializers.TryAdd(tensor.Name, tensor);
        }

        return initializers;
    }

    /// <summary>The value of each <c>Constant</c> node that holds a tensor, by the node's output name.</summary>
    private static Dictionary<string, TensorProto> ConstantsByOutput(GraphProto graph)
    {
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1))
        {
            AttributeProto? value = node.Attribute.FirstOrDefault(a => a.Name == "value" && a.T is not null);
            if (value is not null)
            {
                constants[node.Output[0]] = value.T;
            }
        }

        return constants;
    }

    /// <summary>
    /// Points every <c>Reshape</c> whose constant shape starts with <paramref name="batch"/> at a new shape tensor
    /// that follows the input's batch, then drops the shape constants nothing reads any more.
    /// </summary>
    /// <returns>Null when done; otherwise why a Reshape cannot be rewritten.</returns>
    private static string? RewriteReshapes(
        GraphProto graph,
        long batch,
        Dictionary<string, TensorProto> initializers,
        Dictionary<string, TensorProto> constants,
        HashSet<string> graphInputs)
    {
        int rewritten = 0;
        var detached = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node.Where(n => n.OpType == "Reshape" && n.Input.Count == 2))
        {
            if (initializers.ContainsKey(node.Input[0]) || constants.ContainsKey(node.Input[0]))
            {
                continue; // reshaping a constant: no batch in it
            }

            string shapeName = node.Input[1];
            TensorProto? shape = initializers.GetValueOrDefault(shapeName) ?? constants.GetValueOrDefault(shapeName);
            if (shape is null)
            {
                if (graphInputs.Contains(shapeName))
                {
                    return $"Reshape '{node.Name}' takes its shape from the graph input '{shapeName}'";
                }

                continue; // computed at run time
            }

            string? problem = BatchFollowingDims(node, shapeName, shape, batch, out long[]? dims);
            if (problem is not null)
            {
                return problem;
            }

            if (dims is null)
            {
                continue;
            }

            // A new initializer per node, so a shape tensor shared with other operators stays as it was.
            string name = UniqueName(graph, initializers, constants, $"{shapeName}_batch_{rewritten}");
            TensorProto replacement = Int64Tensor(name, dims);
            graph.Initializer.Add(replacement);
            initializers[name] = replacement;
            node.Input[1] = name;
            detached.Add(shapeName);
            rewritten++;
        }

        RemoveUnused(graph, detached);
        return null;
    }

    /// <summary>
    /// The Reshape's shape with its leading <paramref name="batch"/> replaced by a value that follows the input's
    /// batch; <paramref name="dims"/> is null when the shape does not start with the batch.
    /// </summary>
    /// <returns>Null, or why the shape cannot be rewritten.</returns>
    private static string? BatchFollowingDims(NodeProto node, string shapeName, TensorProto shape, long batch, out long[]? dims)
    {
        dims = ReadInt64(shape);
        if (dims is null)
        {
            return $"Reshape '{node.Name}' has a shape tensor '{shapeName}' that is not int64";
        }

        if (dims.Length == 0 || dims[0] != batch)
        {
            dims = null;
            return null;
        }

        bool allowZero = node.Attribute.Any(a => a.Name == "allowzero" && a.I != 0);
        if (allowZero)
        {
            if (dims.Contains(-1))
            {
                return $"Reshape '{node.Name}' has allowzero=1 and already infers one dimension (-1)";
            }

            dims[0] = -1;
        }
        else
        {
            dims[0] = 0; // "copy this dimension from the input": the batch
        }

        return null;
    }

    /// <summary>Replaces a leading <paramref name="batch"/> in the graph's input and output shapes by <see cref="BatchDimName"/>.</summary>
    private static void MakeBatchSymbolic(GraphProto graph, HashSet<string> graphInputs, long batch)
    {
        foreach (ValueInfoProto value in graph.Input.Where(i => graphInputs.Contains(i.Name)).Concat(graph.Output))
        {
            TensorShapeProto? shape = value.Type?.TensorType?.Shape;
            if (shape is { Dim.Count: > 0 } && shape.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && shape.Dim[0].DimValue == batch)
            {
                shape.Dim[0].ClearValue();
                shape.Dim[0].DimParam = BatchDimName;
            }
        }
    }

    /// <summary>
    /// Drops the shape constants that no node or output reads any more (ONNX Runtime would otherwise print a warning
    /// about each of them when it opens the model).
    /// </summary>
    private static void RemoveUnused(GraphProto graph, HashSet<string> candidates)
    {
        var used = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        candidates.ExceptWith(used);
        foreach (NodeProto constant in graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1 && candidates.Contains(n.Output[0])).ToList())
        {
            graph.Node.Remove(constant);
        }

        foreach (TensorProto initializer in graph.Initializer.Where(t => candidates.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(initializer);
        }

        foreach (ValueInfoProto input in graph.Input.Where(i => candidates.Contains(i.Name)).ToList())
        {
            graph.Input.Remove(input); // an initializer also listed as an input (IR version 3 and older)
        }
    }

    private static long[]? ReadInt64(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Int64)
        {
            return null;
        }

        if (tensor.Int64Data.Count > 0)
        {
            return tensor.Int64Data.ToArray();
        }

        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        var values = new long[raw.Length / sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * sizeof(long))..]);
        }

        return values;
    }

    private static TensorProto Int64Tensor(string name, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(values.Length);
        return tensor;
    }

    private static string UniqueName(GraphProto graph, Dictionary<string, TensorProto> initializers, Dictionary<string, TensorProto> constants, string wanted)
    {
        string name = wanted;
        for (int i = 1; initializers.ContainsKey(name) || constants.ContainsKey(name) || graph.Node.Any(n => n.Output.Contains(name)); i++)
        {
            name = $"{wanted}_{i}";
        }

        return name;
    }
}
