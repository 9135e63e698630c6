namespace FacePipeline.Dataset;

/// <summary>
/// Orders strings so that runs of digits compare by value: <c>s2</c> before <c>s10</c>. Other characters compare
/// ordinally, so the order is the same on every machine.
/// </summary>
public sealed class NaturalStringComparer : IComparer<string>
{
    /// <summary>The shared instance.</summary>
    public static NaturalStringComparer Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int i = 0;
        int j = 0;
        while (i < x.Length && j < y.Length)
        {
            int byRun = char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j])
                ? CompareNumbers(x, ref i, y, ref j)
                : x[i++].CompareTo(y[j++]);
            if (byRun != 0)
            {
                return byRun;
            }
        }

        int byRest = (x.Length - i).CompareTo(y.Length - j);
        return byRest != 0 ? byRest : string.CompareOrdinal(x, y);
    }

    /// <summary>Compares the digit runs at <paramref name="i"/> and <paramref name="j"/> by value, moving both past them.</summary>
    private static int CompareNumbers(string x, ref int i, string y, ref int j)
    {
        ReadOnlySpan<char> digitsX = TakeDigits(x, ref i).TrimStart('0');
        ReadOnlySpan<char> digitsY = TakeDigits(y, ref j).TrimStart('0');
        int byLength = digitsX.Length.CompareTo(digitsY.Length);
        return byLength != 0 ? byLength : digitsX.SequenceCompareTo(digitsY);
    }

    private static ReadOnlySpan<char> TakeDigits(string s, ref int position)
    {
        int start = position;
        while (position < s.Length && char.IsAsciiDigit(s[position]))
        {
            position++;
        }

        return s.AsSpan(start, position - start);
    }
}
