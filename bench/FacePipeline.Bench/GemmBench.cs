using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;

namespace FacePipeline.Bench;

/// <summary>
/// The limit: float32 GEMM throughput of this CPU, C = A·B with square n×n matrices (2n³ FLOP), through TorchSharp
/// (libtorch's BLAS) and through ONNX Runtime's MatMul (MLAS, the kernels the backbones use).
/// </summary>
internal static class GemmBench
{
    /// <summary>GFLOP/s of TorchSharp <c>mm</c> with <paramref name="threads"/> threads.</summary>
    public static Stats Torch(int n, int threads, int repeats, double secondsPerRun)
    {
        torch.set_num_threads(threads);
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        return Run(n, repeats, secondsPerRun, () => torch.mm(a, b).Dispose());
    }

    /// <summary>GFLOP/s of an ONNX Runtime session holding one MatMul, with <paramref name="threads"/> intra-op threads.</summary>
    public static Stats OnnxRuntime(int n, int threads, int repeats, double secondsPerRun)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        using var session = new InferenceSession(MatMulModel(), options);
        var random = new Random(1);
        float[] a = Enumerable.Range(0, n * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, n * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        long[] shape = [n, n];
        using OrtValue inputA = OrtValue.CreateTensorValueFromMemory(a, shape);
        using OrtValue inputB = OrtValue.CreateTensorValueFromMemory(b, shape);
        using var runOptions = new RunOptions();
        return Run(n, repeats, secondsPerRun, () =>
        {
            using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, ["A", "B"], [inputA, inputB], ["C"]);
        });
    }

    private static Stats Run(int n, int repeats, double secondsPerRun, Action multiply)
    {
        multiply();
        var clock = Stopwatch.StartNew();
        multiply();
        double once = Math.Max(clock.Elapsed.TotalSeconds, 1e-4);
        int calls = Math.Max(1, (int)Math.Ceiling(secondsPerRun / once));
        double flop = 2.0 * n * n * n * calls;
        var runs = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            clock.Restart();
            for (int i = 0; i < calls; i++)
            {
                multiply();
            }

            runs[r] = flop / clock.Elapsed.TotalSeconds / 1e9;
        }

        return Stats.Of(runs);
    }

    /// <summary>C[M,N] = MatMul(A[M,K], B[K,N]) with symbolic dimensions.</summary>
    private static byte[] MatMulModel()
    {
        var graph = new GraphProto { Name = "gemm_peak" };
        graph.Input.Add(Matrix("A", "M", "K"));
        graph.Input.Add(Matrix("B", "K", "N"));
        graph.Output.Add(Matrix("C", "M", "N"));
        var node = new NodeProto { OpType = "MatMul", Name = "matmul" };
        node.Input.Add("A");
        node.Input.Add("B");
        node.Output.Add("C");
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, ProducerName = "FacePipeline.Bench", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Matrix(string name, string rows, string columns)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = rows });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = columns });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
