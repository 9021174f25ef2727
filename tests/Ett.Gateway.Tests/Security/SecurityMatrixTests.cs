using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Ett.Gateway.Callers;
using Ett.Gateway.Passthrough;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Ett.Gateway.Tests.Security;

/// <summary>
/// Every endpoint, read from the routing data source (composites, /operations, and each passthrough operation of ETT's
/// contract), against every kind of caller and every place an organization can hide. Each refusal must leave ETT and
/// ETT's token endpoint untouched. An endpoint added tomorrow joins the matrix without editing it.
/// </summary>
public partial class SecurityMatrixTests(ITestOutputHelper output) : GatewayTest
{
    private static readonly Guid A = Guid.Parse("5ec00000-0000-4000-8000-00000000000a");
    private static readonly Guid B = Guid.Parse("5ec00000-0000-4000-8000-00000000000b");
    private static readonly Guid SomeId = Guid.Parse("5ec00000-0000-4000-8000-0000000000ff");
    private const string RestrictedApp = "restricted-to-a";

    /// <summary>Endpoints whose body names another organization the request acts on (a partner registered on first use).</summary>
    private static readonly string[] BodyOrganizationEndpoints = ["RegisterPartner", "TransferToPartner"];

    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting($"Callers:Organizations:{RestrictedApp}:0", A.ToString());

    private sealed record Target(string Method, string Template, string Permission, OrganizationSource Organization, string? Name)
    {
        public bool RouteHasOrganization => Template.Contains("{organizationId", StringComparison.Ordinal);
        public bool HasBody => Method is "POST" or "PUT" or "PATCH";
        public override string ToString() => $"{Method} {Template}";
    }

    private sealed record Case(Target Target, string Kind, string? Token, string Path, string? Body, HttpStatusCode? Refusal);

    private IReadOnlyList<Target> Targets()
    {
        var sources = Gateway.Services.GetRequiredService<IEnumerable<EndpointDataSource>>();
        return
        [
            .. sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null)
                .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new Target(
                    method,
                    e.RoutePattern.RawText!,
                    e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Single(p => CallerPolicies.All.Contains(p))!,
                    e.Metadata.GetMetadata<OrganizationSourceMetadata>()?.Source ?? OrganizationSource.Route,
                    e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName)))
                .Where(t => !t.Template.Contains("{**", StringComparison.Ordinal))
                .OrderBy(t => t.Template, StringComparer.Ordinal).ThenBy(t => t.Method, StringComparer.Ordinal),
        ];
    }

    [Fact]
    public void Every_endpoint_declares_exactly_one_permission()
    {
        var endpoints = Gateway.Services.GetRequiredService<IEnumerable<EndpointDataSource>>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null).ToList();

        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e =>
        {
            var policies = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.True(policies.Count == 1 && CallerPolicies.All.Contains(policies[0]),
                $"{e.DisplayName} ({e.RoutePattern.RawText}) declares [{string.Join(", ", policies)}], not exactly one of {string.Join(", ", CallerPolicies.All)}.");
        });
    }

    [Fact]
    public void The_matrix_covers_composites_operations_and_every_forwarded_ett_operation()
    {
        var targets = Targets();

        Assert.Contains(targets, t => t.Template.StartsWith("/organizations/{organizationId:guid}/", StringComparison.Ordinal));
        Assert.Contains(targets, t => t.Template.StartsWith("/operations/", StringComparison.Ordinal));
        Assert.All(EttThirdPartyOperations.All, op => Assert.Contains(targets, t => t.Method == op.Method && t.Template == "/ett" + op.Path));
        Assert.DoesNotContain(targets, t => t.Template.Contains("slices", StringComparison.Ordinal) || t.Template.Contains("spreadsheet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_endpoint_refuses_every_caller_it_should_without_calling_ett()
    {
        Upstreams.TokenOrganizations = [A, B];
        var cases = Targets().SelectMany(CasesOf).ToList();
        var failures = new List<string>();

        foreach (var c in cases)
        {
            Upstreams.EttRequests.Clear();
            Upstreams.TokenRequests.Clear();
            using var request = new HttpRequestMessage(new HttpMethod(c.Target.Method), c.Path);
            if (c.Token is not null) request.Headers.Authorization = new("Bearer", c.Token);
            if (c.Body is not null) request.Content = new StringContent(c.Body, Encoding.UTF8, "application/json");
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

            using var response = await Gateway.CreateClient().SendAsync(request);

            var status = response.StatusCode;
            if (c.Refusal is { } refused)
            {
                if (status != refused) failures.Add($"{c.Target} [{c.Kind}] {c.Path}: expected {(int)refused}, got {(int)status}");
                if (!Upstreams.EttRequests.IsEmpty || !Upstreams.TokenRequests.IsEmpty)
                    failures.Add($"{c.Target} [{c.Kind}]: refused, yet {Upstreams.EttRequests.Count} ETT and {Upstreams.TokenRequests.Count} token requests");
            }
            else if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || (c.Target.Organization == OrganizationSource.Query && status == HttpStatusCode.BadRequest))
            {
                failures.Add($"{c.Target} [{c.Kind}] {c.Path}: expected to pass the gateway's checks, got {(int)status}");
            }

            if (c.Kind.StartsWith("restricted", StringComparison.Ordinal) && Upstreams.EttRequests.Any(r => r.Query.Contains(B.ToString(), StringComparison.OrdinalIgnoreCase)))
                failures.Add($"{c.Target} [{c.Kind}]: organization B reached ETT for a caller restricted to A");
        }

        output.WriteLine($"Security matrix: {cases.Count} cases over {cases.Select(c => c.Target).Distinct().Count()} endpoints.");
        Console.WriteLine($"Security matrix: {cases.Count} cases over {cases.Select(c => c.Target).Distinct().Count()} endpoints.");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("POST", "/ett/wallet-api/slices")]
    [InlineData("POST", "/ett/wallet-api/v1/slices")]
    [InlineData("GET", "/ett/api/certificates/spreadsheet?organizationId={A}")]
    [InlineData("GET", "/ett/api/authorization/client/{A}")]
    [InlineData("PATCH", "/ett/wallet-api/transfers?organizationId={A}")]
    [InlineData("DELETE", "/ett/api/certificates/contracts?organizationId={A}")]
    [InlineData("HEAD", "/ett/wallet-api/wallets?organizationId={A}")]
    [InlineData("GET", "/ett/wallet-api/no-such-thing?organizationId={A}")]
    [InlineData("GET", "/ett/api/certificates/contracts/x/y?organizationId={A}")]
    [InlineData("GET", "/ett/wallet-api/wallets%2F..%2Fslices?organizationId={A}")]
    public async Task The_passthrough_forwards_nothing_but_etts_third_party_operations(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{A}", A.ToString(), StringComparison.Ordinal));
        if (method is "POST" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");

        var response = await Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    private IEnumerable<Case> CasesOf(Target target)
    {
        var everything = Upstreams.CallerToken(roles: [.. CallerPolicies.All], clientId: "every-permission-app");
        var restricted = Upstreams.CallerToken(roles: [.. CallerPolicies.All], clientId: RestrictedApp);
        var body = target.HasBody ? """{"name":"matrix","quantityWh":1}""" : null;
        var forA = target.Organization == OrganizationSource.Query ? $"{PathFor(target, null)}?organizationId={A}" : PathFor(target, A);

        yield return new(target, "no token", null, forA, body, HttpStatusCode.Unauthorized);
        yield return new(target, "no role", Upstreams.CallerToken(roles: [], clientId: "no-role-app"), forA, body, HttpStatusCode.Forbidden);
        foreach (var role in CallerPolicies.All.Append(Ett.Gateway.Callers.Caller.WriteRole))
        {
            var grants = role == target.Permission || target.Permission == CallerPolicies.Read || (role == Ett.Gateway.Callers.Caller.WriteRole && target.Permission != CallerPolicies.Admin);
            yield return new(target, $"only {role}", Upstreams.CallerToken(roles: [role], clientId: $"{role}-app"), forA, body, grants ? null : HttpStatusCode.Forbidden);
        }

        switch (target.Organization)
        {
            case OrganizationSource.Every:
                yield return new(target, "restricted, organization-less operation", restricted, forA, body, HttpStatusCode.Forbidden);
                break;
            case OrganizationSource.Query:
                var path = PathFor(target, null);
                yield return new(target, "restricted, A in query", restricted, $"{path}?organizationId={A}", body, null);
                yield return new(target, "restricted, B in query", restricted, $"{path}?organizationId={B}", body, HttpStatusCode.Forbidden);
                yield return new(target, "restricted, B cased in query", restricted, $"{path}?ORGANIZATIONID={B}", body, HttpStatusCode.Forbidden);
                yield return new(target, "restricted, B then A repeated", restricted, $"{path}?organizationId={B}&organizationId={A}", body, HttpStatusCode.BadRequest);
                yield return new(target, "restricted, A then B other-cased", restricted, $"{path}?organizationId={A}&OrganizationId={B}", body, HttpStatusCode.BadRequest);
                yield return new(target, "restricted, unparsable", restricted, $"{path}?organizationId={B}x", body, HttpStatusCode.BadRequest);
                yield return new(target, "restricted, none", restricted, path, body, HttpStatusCode.BadRequest);
                yield return new(target, "unrestricted, all-zero", everything, $"{path}?organizationId={Guid.Empty}", body, HttpStatusCode.BadRequest);
                if (target.HasBody)
                    yield return new(target, "restricted, A in query, B in body", restricted, $"{path}?organizationId={A}", $$"""{"organizationId":"{{B}}"}""", null);
                break;
            case OrganizationSource.Route when target.RouteHasOrganization:
                yield return new(target, "restricted, A in route", restricted, PathFor(target, A), body, null);
                yield return new(target, "restricted, B in route", restricted, PathFor(target, B), body, HttpStatusCode.Forbidden);
                yield return new(target, "restricted, A in route, B in query", restricted, $"{PathFor(target, A)}?organizationId={B}", body, null);
                yield return new(target, "restricted, B in route, A in query", restricted, $"{PathFor(target, B)}?organizationId={A}&OrganizationId={A}", body, HttpStatusCode.Forbidden);
                yield return new(target, "unrestricted, all-zero", everything, PathFor(target, Guid.Empty), body, HttpStatusCode.BadRequest);
                if (target.HasBody)
                {
                    var named = BodyOrganizationEndpoints.Contains(target.Name);
                    yield return new(target, "restricted, A in route, B in body", restricted, PathFor(target, A),
                        $$"""{"name":"matrix","quantityWh":1,"organizationId":"{{B}}","partnerOrganizationId":"{{B}}"}""", named ? HttpStatusCode.Forbidden : null);
                }
                break;
        }
    }

    private static string PathFor(Target target, Guid? organization) =>
        RouteParameter().Replace(target.Template, m => m.Groups[1].Value == "organizationId" ? organization?.ToString() ?? "" : SomeId.ToString());

    [GeneratedRegex(@"\{\**(\w+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

/// <summary>
/// The same matrix with the framework's authorization deciding every request (another handler that judges every
/// requirement turns <see cref="CallerAuthorization"/>'s shortcut off): both ways must refuse and grant alike.
/// </summary>
public sealed class SecurityMatrixThroughTheFrameworkTests(ITestOutputHelper output) : SecurityMatrixTests(output)
{
    protected override void Configure(IWebHostBuilder builder)
    {
        base.Configure(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IAuthorizationHandler, JudgesNothing>());
    }

    private sealed class JudgesNothing : IAuthorizationHandler
    {
        public Task HandleAsync(AuthorizationHandlerContext context) => Task.CompletedTask;
    }
}
