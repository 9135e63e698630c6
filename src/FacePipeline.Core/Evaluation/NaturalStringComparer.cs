namespace FacePipeline.Evaluation;

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
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int startX = i;
                int startY = j;
                while (i < x.Length && char.IsAsciiDigit(x[i]))
                {
                    i++;
                }

                while (j < y.Length && char.IsAsciiDigit(y[j]))
                {
                    j++;
                }

                ReadOnlySpan<char> digitsX = x.AsSpan(startX, i - startX).TrimStart('0');
                ReadOnlySpan<char> digitsY = y.AsSpan(startY, j - startY).TrimStart('0');
                int byLength = digitsX.Length.CompareTo(digitsY.Length);
                if (byLength != 0)
                {
                    return byLength;
                }

                int byDigits = digitsX.SequenceCompareTo(digitsY);
                if (byDigits != 0)
                {
                    return byDigits;
                }
            }
            else
            {
                int byChar = x[i].CompareTo(y[j]);
                if (byChar != 0)
                {
                    return byChar;
                }

                i++;
                j++;
            }
        }

        int byRest = (x.Length - i).CompareTo(y.Length - j);
        return byRest != 0 ? byRest : string.CompareOrdinal(x, y);
    }
}
