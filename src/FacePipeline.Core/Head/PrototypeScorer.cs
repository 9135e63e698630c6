using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FacePipeline.Head;

/// <summary>
/// The prototype head: one L2-normalised mean embedding per person; a face's score for a person is the cosine
/// similarity of its embedding to that person's prototype. Pure managed code (no TorchSharp): blocks of prototypes in
/// parallel, each scored against the rows four rows by four prototypes at a time. Cost: rows × classes × features
/// multiply-adds (20 000 rows against 20 000 prototypes of 512 features are 2·10¹¹).
/// </summary>
public sealed class PrototypeScorer : IHeadScorer
{
    /// <summary>Prototypes scored together by one worker (see <see cref="Scores(ReadOnlySpan{float}, int, float[])"/>).</summary>
    private const int PrototypesPerBlock = 64;

    /// <summary>Rows and prototypes of one register tile (4 × 4 accumulators of 8 floats).</summary>
    private const int Tile = 4;

    private readonly float[] prototypes;

    /// <summary>Wraps <paramref name="prototypes"/> (classes × inputSize, row-major, each row normalised or zero).</summary>
    public PrototypeScorer(float[] prototypes, int inputSize)
    {
        ArgumentNullException.ThrowIfNull(prototypes);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (prototypes.Length == 0 || prototypes.Length % inputSize != 0)
        {
            throw new ArgumentException($"{prototypes.Length} values are not a whole number of {inputSize}-feature prototypes", nameof(prototypes));
        }

        this.prototypes = prototypes;
        InputSize = inputSize;
        Classes = prototypes.Length / inputSize;
    }

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int InputSize { get; }

    /// <summary>The prototypes, classes × <see cref="InputSize"/>, row-major.</summary>
    public ReadOnlySpan<float> Prototypes => prototypes;

    /// <summary>Scales <paramref name="vector"/> to unit L2 norm in place; a zero vector stays zero.</summary>
    public static void Normalise(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <inheritdoc />
    public float[] Scores(ReadOnlySpan<float> features, int count)
    {
        var scores = new float[(long)count * Classes];
        Scores(features, count, scores);
        return scores;
    }

    /// <inheritdoc />
    public void Scores(ReadOnlySpan<float> features, int count, float[] destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (features.Length != count * InputSize)
        {
            throw new ArgumentException($"expected {count} × {InputSize} features, got {features.Length}", nameof(features));
        }

        if (destination.Length < (long)count * Classes)
        {
            throw new ArgumentException($"{destination.Length} values cannot hold {count} × {Classes} scores", nameof(destination));
        }

        // The rows normalised into a pooled copy, not a fresh one: a chunk of 256 VGG16-width rows is 26 MB, and a
        // fresh copy per call left that much garbage per chunk on the large-object heap (a prototype fit under a 244 MiB
        // budget peaked at 321 MiB).
        float[] rows = ArrayPool<float>.Shared.Rent(features.Length);
        try
        {
            features.CopyTo(rows);
            int length = InputSize;
            Parallel.For(0, count, i => Normalise(rows.AsSpan(i * length, length)));
            // Blocked: each worker takes a block of prototypes that stays in cache (64 × 512 floats = 128 KB) and scores
            // every row against it, so the prototypes are read from memory once per call instead of once per row (at
            // 20 000 people × 512 features that was 41 MB per row).
            int blocks = (Classes + PrototypesPerBlock - 1) / PrototypesPerBlock;
            Parallel.For(0, blocks, block => ScoreBlock(rows, count, block * PrototypesPerBlock, Math.Min(Classes, (block + 1) * PrototypesPerBlock), destination));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Scores every row against prototypes [<paramref name="first"/>, <paramref name="last"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScoreBlock(float[] rows, int count, int first, int last, float[] scores)
    {
        int i = 0;
        for (; i + Tile <= count; i += Tile)
        {
            int c = first;
            for (; c + Tile <= last; c += Tile)
            {
                TileDots(rows, i, c, scores);
            }

            for (; c < last; c++)
            {
                for (int r = i; r < i + Tile; r++)
                {
                    scores[((long)r * Classes) + c] = Dot(rows, r, c);
                }
            }
        }

        for (; i < count; i++)
        {
            for (int c = first; c < last; c++)
            {
                scores[((long)i * Classes) + c] = Dot(rows, i, c);
            }
        }
    }

    /// <summary>
    /// Sixteen dot products, rows <paramref name="row"/>..+3 by prototypes <paramref name="cls"/>..+3, each summed in
    /// exactly the order <see cref="Dot"/> uses, so a face's score does not depend on where it falls in a batch. A tile
    /// loads 8 vectors per 16 fused multiply-adds where one dot product at a time loads 2 per 1: about three times
    /// faster on the validation and evaluate scoring that dominates the prototype head's cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TileDots(float[] rows, int row, int cls, float[] scores)
    {
        int length = InputSize;
        ref float x0 = ref MemoryMarshal.GetArrayDataReference(rows);
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(prototypes);
        nuint r0 = (nuint)row * (nuint)length, r1 = r0 + (nuint)length, r2 = r1 + (nuint)length, r3 = r2 + (nuint)length;
        nuint q0 = (nuint)cls * (nuint)length, q1 = q0 + (nuint)length, q2 = q1 + (nuint)length, q3 = q2 + (nuint)length;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int vectorEnd = length - (length % Vector256<float>.Count);
        for (nuint j = 0; j < (nuint)vectorEnd; j += (nuint)Vector256<float>.Count)
        {
            Vector256<float> p0v = Vector256.LoadUnsafe(ref p0, q0 + j), p1v = Vector256.LoadUnsafe(ref p0, q1 + j);
            Vector256<float> p2v = Vector256.LoadUnsafe(ref p0, q2 + j), p3v = Vector256.LoadUnsafe(ref p0, q3 + j);
            Vector256<float> x = Vector256.LoadUnsafe(ref x0, r0 + j);
            a00 = Vector256.FusedMultiplyAdd(x, p0v, a00); a01 = Vector256.FusedMultiplyAdd(x, p1v, a01); a02 = Vector256.FusedMultiplyAdd(x, p2v, a02); a03 = Vector256.FusedMultiplyAdd(x, p3v, a03);
            x = Vector256.LoadUnsafe(ref x0, r1 + j);
            a10 = Vector256.FusedMultiplyAdd(x, p0v, a10); a11 = Vector256.FusedMultiplyAdd(x, p1v, a11); a12 = Vector256.FusedMultiplyAdd(x, p2v, a12); a13 = Vector256.FusedMultiplyAdd(x, p3v, a13);
            x = Vector256.LoadUnsafe(ref x0, r2 + j);
            a20 = Vector256.FusedMultiplyAdd(x, p0v, a20); a21 = Vector256.FusedMultiplyAdd(x, p1v, a21); a22 = Vector256.FusedMultiplyAdd(x, p2v, a22); a23 = Vector256.FusedMultiplyAdd(x, p3v, a23);
            x = Vector256.LoadUnsafe(ref x0, r3 + j);
            a30 = Vector256.FusedMultiplyAdd(x, p0v, a30); a31 = Vector256.FusedMultiplyAdd(x, p1v, a31); a32 = Vector256.FusedMultiplyAdd(x, p2v, a32); a33 = Vector256.FusedMultiplyAdd(x, p3v, a33);
        }

        long o0 = ((long)row * Classes) + cls, o1 = o0 + Classes, o2 = o1 + Classes, o3 = o2 + Classes;
        scores[o0] = Finish(a00, rows, r0, q0, vectorEnd); scores[o0 + 1] = Finish(a01, rows, r0, q1, vectorEnd); scores[o0 + 2] = Finish(a02, rows, r0, q2, vectorEnd); scores[o0 + 3] = Finish(a03, rows, r0, q3, vectorEnd);
        scores[o1] = Finish(a10, rows, r1, q0, vectorEnd); scores[o1 + 1] = Finish(a11, rows, r1, q1, vectorEnd); scores[o1 + 2] = Finish(a12, rows, r1, q2, vectorEnd); scores[o1 + 3] = Finish(a13, rows, r1, q3, vectorEnd);
        scores[o2] = Finish(a20, rows, r2, q0, vectorEnd); scores[o2 + 1] = Finish(a21, rows, r2, q1, vectorEnd); scores[o2 + 2] = Finish(a22, rows, r2, q2, vectorEnd); scores[o2 + 3] = Finish(a23, rows, r2, q3, vectorEnd);
        scores[o3] = Finish(a30, rows, r3, q0, vectorEnd); scores[o3 + 1] = Finish(a31, rows, r3, q1, vectorEnd); scores[o3 + 2] = Finish(a32, rows, r3, q2, vectorEnd); scores[o3 + 3] = Finish(a33, rows, r3, q3, vectorEnd);
    }

    /// <summary>One dot product of row <paramref name="row"/> and prototype <paramref name="cls"/>, in the order of <see cref="TileDots"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float Dot(float[] rows, int row, int cls)
    {
        int length = InputSize;
        ref float x0 = ref MemoryMarshal.GetArrayDataReference(rows);
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(prototypes);
        nuint r = (nuint)row * (nuint)length, q = (nuint)cls * (nuint)length;
        Vector256<float> sum = default;
        int vectorEnd = length - (length % Vector256<float>.Count);
        for (nuint j = 0; j < (nuint)vectorEnd; j += (nuint)Vector256<float>.Count)
        {
            sum = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x0, r + j), Vector256.LoadUnsafe(ref p0, q + j), sum);
        }

        return Finish(sum, rows, r, q, vectorEnd);
    }

    /// <summary>The lanes' sum plus the features past the last whole vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float Finish(Vector256<float> sum, float[] rows, nuint row, nuint cls, int vectorEnd)
    {
        float total = Vector256.Sum(sum);
        for (int j = vectorEnd; j < InputSize; j++)
        {
            total += rows[(long)row + j] * prototypes[(long)cls + j];
        }

        return total;
    }
}
