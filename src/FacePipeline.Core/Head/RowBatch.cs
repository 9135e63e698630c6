namespace FacePipeline.Head;

/// <summary>
/// A batch as an <see cref="ITrainingRows"/> hands it out, still in managed memory: the rows' features and classes
/// copied out of the matrix or the cache. Its tensors are made by
/// <see cref="ITrainingRows.ToTensors"/> inside the consumer's dispose scope.
/// </summary>
/// <param name="Count">Rows in the batch.</param>
/// <param name="Features">Count × feature length floats, or null.</param>
/// <param name="Classes">Class of each row (with <paramref name="Features"/>), or null.</param>
internal sealed record RowBatch(int Count, float[]? Features, long[]? Classes);
