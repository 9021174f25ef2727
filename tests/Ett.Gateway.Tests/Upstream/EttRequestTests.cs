using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.WebUtilities;

namespace Ett.Gateway.Tests.Upstream;

/// <summary>
/// The passthrough's organization check reads <c>organizationId</c> from the raw query string: it must read exactly what
/// ASP.NET Core's own query parsing reads, in every spelling a caller can send, or the check and ETT could see different
/// organizations.
/// </summary>
public class EttRequestTests
{
    private const string A = "6a3b1e52-0000-4000-8000-0000000000a1";
    private const string B = "6a3b1e52-0000-4000-8000-0000000000b2";

    public static TheoryData<string, string?> Queries => new()
    {
        { $"?organizationId={A}", A },
        { $"organizationId={A}", A },
        { $"?ORGANIZATIONID={A}&limit=5", A },
        { $"?limit=5&organizationid={A}", A },
        { $"?organization%49d={A}", A },
        { $"?%6Frganization%69d={A}", A },
        { $"?organizationId=%36a3b1e52-0000-4000-8000-0000000000a1", A },
        { $"?organizationId=+{A}+", A },
        { $"?&&organizationId={A}&", A },
        { $"?organizationId={A}&organizationId={A}", null },
        { $"?organizationId={A}&OrganizationId={B}", null },
        { $"?organizationId={A}&organization%49d={B}", null },
        { $"?organizationId={A},{B}", null },
        { $"?organizationId={A}&organizationId", null },
        { "?organizationId", null },
        { "?organizationId=", null },
        { "?organizationId=not-a-guid", null },
        { $"?organizationIdx={A}", null },
        { $"?xorganizationId={A}", null },
        { $"?organization+Id={A}", null },
        { "", null },
        { "?", null },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public void Reads_organizationId_once_in_any_spelling(string query, string? expected)
    {
        Assert.Equal(expected is null ? null : Guid.Parse(expected), EttRequest.OrganizationOf(query));
        Assert.Equal(expected is null ? null : Guid.Parse(expected), AsAspNetCoreReadsIt(query));
    }

    [Fact]
    public void Null_has_no_organization() => Assert.Null(EttRequest.OrganizationOf(null));

    /// <summary>The reference: ASP.NET Core's query parsing, which groups every spelling of a name.</summary>
    private static Guid? AsAspNetCoreReadsIt(string query)
    {
        var values = QueryHelpers.ParseQuery(query).TryGetValue(EttRequest.OrganizationParameter, out var found) ? found : default;
        return values.Count == 1 && Guid.TryParse(values[0], out var id) ? id : null;
    }
}
