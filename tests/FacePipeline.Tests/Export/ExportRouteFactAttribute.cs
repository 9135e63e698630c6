using Xunit;

namespace FacePipeline.Tests.Export;

/// <summary>A [Fact] skipped, with the script's one-line reason, when the export route's Python packages are missing (xunit 2 has no runtime skip).</summary>
public sealed class ExportRouteFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> from <see cref="ExportRoute.SkipReason"/>.</summary>
    public ExportRouteFactAttribute()
    {
        if (ExportRoute.SkipReason is string reason)
        {
            Skip = $"VGG16 export route not available: {reason}";
        }
    }
}
