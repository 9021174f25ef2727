using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Features.Paging;

/// <summary>A list request paged by the gateway's cursor.</summary>
internal interface IPagedQuery
{
    DateTimeOffset? From { get; }
    DateTimeOffset? To { get; }
    int? Limit { get; }
    string? Cursor { get; }

    /// <summary><see cref="PageCursor.Fingerprint"/> of what selects the items; a cursor only continues the query that issued it.</summary>
    string Fingerprint { get; }
}

/// <summary>Parameter docs shared by the paged lists.</summary>
internal static class PageParameters
{
    public const string Limit = "Page size, 1–1000 (default 100).";
    public const string Cursor = "`nextCursor` of the previous page, sent with the same filters; absent for the first page.";
    public const string From = "Only items whose certificate starts at or after this instant (ISO 8601).";
    public const string To = "Only items whose certificate ends at or before this instant (ISO 8601); later than `from`.";
}

/// <summary>from &lt; to, limit 1–1000, and a cursor this gateway issued for the same query.</summary>
internal abstract class PagedQueryValidator<T> : AbstractValidator<T> where T : IPagedQuery
{
    protected PagedQueryValidator()
    {
        RuleFor(q => q.From).Before(q => q.To);
        RuleFor(q => q.Limit).PageLimit();
        RuleFor(q => q.Cursor)
            .Must(cursor => cursor is null || PageCursor.TryDecode(cursor, out _, out _))
            .WithMessage("Is not a cursor this gateway issued: pass nextCursor from a previous page unchanged.")
            .DependentRules(() => RuleFor(q => q.Cursor)
                .Must((query, cursor) => cursor is null || PageCursor.TryDecode(cursor, out _, out var fingerprint) && fingerprint == query.Fingerprint)
                .WithMessage("Belongs to a query with other filters: repeat the filters of the request that returned it, or start without a cursor."));
    }
}

internal static class PagedQueryExtensions
{
    public const int DefaultLimit = 100;

    /// <summary>ETT's <c>start</c> filter keeps items starting at or after it (unix seconds, rounded up).</summary>
    public static long? EttStart(this IPagedQuery query) =>
        query.From is { } from ? (long)Math.Ceiling(from.ToUnixTimeMilliseconds() / 1000.0) : null;

    /// <summary>ETT's <c>end</c> filter keeps items ending at or before it (unix seconds, rounded down).</summary>
    public static long? EttEnd(this IPagedQuery query) =>
        query.To is { } to ? (long)Math.Floor(to.ToUnixTimeMilliseconds() / 1000.0) : null;

    public static int PageSize(this IPagedQuery query) => query.Limit ?? DefaultLimit;
}
