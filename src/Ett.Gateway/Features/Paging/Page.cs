namespace Ett.Gateway.Features.Paging;

/// <summary>One page of a list. Pass <c>nextCursor</c> back (with the same filters) for the next page; null means the end.</summary>
internal sealed record Page<T>
{
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>Opaque; null when there are no more items.</summary>
    public required string? NextCursor { get; init; }

    /// <summary>How many items the whole query matches, when ETT can tell (null when the gateway filters further).</summary>
    public required int? TotalCount { get; init; }
}
