using Ett.Sandbox.Tokens;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Sandbox.Ett;

/// <summary>How a service of ETT checks <c>organizationId</c>; the body of its 403 differs (§6, §9).</summary>
internal enum OrganizationCheck
{
    /// <summary>No organizationId (consents).</summary>
    None,

    /// <summary>Measurements and contracts bind a Guid and answer Forbid() with an empty body.</summary>
    Service,

    /// <summary>The wallet proxy validates the GUID itself and answers with ProblemDetails.</summary>
    WalletProxy,

    /// <summary>Reports bind a Guid as measurements do, but AccessDescriptor's exception answers with ETT's EttError.</summary>
    Reports,
}

/// <summary>What every ETT endpoint checks before its handler runs, in ETT's order: version, token, organization.</summary>
internal sealed class EttGate(OrganizationCheck check) : IEndpointFilter
{
    private const string Caller = "ett.caller";
    private const string OrganizationKey = "ett.organization";
    private const string BodyKey = "ett.body";

    public static EttCaller CallerOf(HttpContext http) => (EttCaller)http.Items[Caller]!;

    public static Guid OrganizationOf(HttpContext http) => (Guid)http.Items[OrganizationKey]!;

    public static string? BodyOf(HttpContext http) => http.Items[BodyKey] as string;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // ETT's 401 and Forbid() bodies are empty; a host's status-code pages must not fill them in.
        if (http.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }

        var request = http.Request;
        var body = await ReadBodyAsync(request);
        http.Items[BodyKey] = body;
        string? version = request.Headers.TryGetValue("X-API-Version", out var values) ? values.ToString() : null;
        var state = http.RequestServices.GetRequiredService<SandboxState>();
        state.Record(new EttRequest(request.Method, request.PathBase + request.Path, request.QueryString.Value ?? "", version,
            request.Headers.Authorization.Count > 0, body));

        http.Response.Headers["api-supported-versions"] = "1";
        if (version is null)
        {
            return EttResults.Problem(http, StatusCodes.Status400BadRequest, "https://docs.api-versioning.org/problems#unspecified",
                "Unspecified API version", "An API version is required, but was not specified.", "ApiVersionUnspecified");
        }

        if (version != "1")
        {
            return EttResults.Problem(http, StatusCodes.Status400BadRequest, "https://docs.api-versioning.org/problems#unsupported",
                "Unsupported API version",
                $"The HTTP resource that matches the request URI '{request.GetDisplayUrl()}' does not support the API version '{version}'.",
                "UnsupportedApiVersion");
        }

        var caller = await http.RequestServices.GetRequiredService<EttTokenService>().ValidateAsync(request.Headers.Authorization.ToString());
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return EttResults.Empty(StatusCodes.Status401Unauthorized);
        }

        http.Items[Caller] = caller;
        if (check != OrganizationCheck.None && caller.LacksOrganizationIds)
        {
            return EttResults.Empty(StatusCodes.Status500InternalServerError);
        }

        if (check != OrganizationCheck.None && CheckOrganization(http, caller) is { } rejection)
        {
            return rejection;
        }

        return await next(context);
    }

    private IResult? CheckOrganization(HttpContext http, EttCaller caller)
    {
        var raw = http.Request.Query["organizationId"].ToString();
        Guid organizationId;
        if (check == OrganizationCheck.WalletProxy)
        {
            if (raw.Length == 0)
            {
                return EttResults.Validation(http, "organizationId", "The organizationId field is required.");
            }

            if (!Guid.TryParse(raw, out organizationId) || organizationId == Guid.Empty)
            {
                // ETT's text uses U+2011 non-breaking hyphens.
                return EttResults.Problem(http, StatusCodes.Status400BadRequest, "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                    "Bad Request", "Query\u2011parameter 'organizationId' must be a non\u2011empty GUID.");
            }

            return caller.MayAccess(organizationId) ? Accept(http, organizationId) : EttResults.Forbidden(http);
        }

        // Measurements and contracts bind a Guid: a missing value becomes Guid.Empty, a malformed one a model-binding error.
        if (raw.Length == 0)
        {
            organizationId = Guid.Empty;
        }
        else if (!Guid.TryParse(raw, out organizationId))
        {
            return EttResults.Validation(http, "organizationId", $"The value '{raw}' is not valid.");
        }

        if (caller.MayAccess(organizationId)) return Accept(http, organizationId);
        return check == OrganizationCheck.Reports
            ? EttResults.EttError(StatusCodes.Status403Forbidden, $"Not authorized to access organization with id {organizationId}")
            : EttResults.Empty(StatusCodes.Status403Forbidden);
    }

    private static IResult? Accept(HttpContext http, Guid organizationId)
    {
        http.Items[OrganizationKey] = organizationId;
        return null;
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
        {
            return null;
        }

        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }
}
