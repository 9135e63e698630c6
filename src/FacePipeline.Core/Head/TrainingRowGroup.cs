using FacePipeline.FeatureCache;

namespace FacePipeline.Head;

/// <summary>One row group of the cache as training sees it.</summary>
/// <param name="Part">The part file.</param>
/// <param name="Index">Row-group index inside the part.</param>
/// <param name="RowOfGroupRow">For each row of the group, its index among the training rows, or -1 for a test row.</param>
internal sealed record TrainingRowGroup(FeatureCachePart Part, int Index, int[] RowOfGroupRow)
{
    /// <summary>Returns this when <paramref name="group"/> is the group the keys were read from; the cache must not change under training.</summary>
    /// <exception cref="FacePipelineException">The group is another one or holds another number of rows.</exception>
    public TrainingRowGroup EnsureSame(FeatureRowGroup group)
    {
        if (group.Part.FilePath != Part.FilePath || group.Index != Index || group.RowCount != RowOfGroupRow.Length)
        {
            throw new FacePipelineException($"{Part.FilePath}: row group {Index} changed while training read it; do not write to a cache while training on it, then re-run TrainHead");
        }

        return this;
    }

    /// <summary>
    /// Reads the group's features in slices of at most <paramref name="rowsPerRead"/> rows (see
    /// <see cref="FeatureCacheReader.ReadFeatureSlices"/>), collecting the garbage of earlier reads first.
    /// </summary>
    /// <exception cref="FacePipelineException">Damaged data, or the group changed since its keys were read.</exception>
    public IEnumerable<FeatureSlice> ReadSlices(int rowsPerRead, CancellationToken cancellationToken)
    {
        ReadGarbage.CollectIfDue();
        foreach (FeatureSlice slice in FeatureCacheReader.ReadFeatureSlices(Part, Index, rowsPerRead, cancellationToken))
        {
            if (slice.FirstRow + slice.RowCount > RowOfGroupRow.Length || (slice.FirstRow == 0 && slice.RowCount < Math.Min(rowsPerRead, RowOfGroupRow.Length)))
            {
                throw new FacePipelineException($"{Part.FilePath}: row group {Index} changed while training read it; do not write to a cache while training on it, then re-run TrainHead");
            }

            yield return slice;
            ReadGarbage.CollectIfDue();
        }
    }
}
