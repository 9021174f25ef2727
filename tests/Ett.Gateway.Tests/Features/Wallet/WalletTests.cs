using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Errors;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using Microsoft.AspNetCore.Http;
using static Ett.Gateway.Tests.Features.Paging.PagingClient;

namespace Ett.Gateway.Tests.Features.Wallet;

public class WalletTests : IAsyncLifetime
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private SandboxGateway _env = null!;

    public async Task InitializeAsync() => _env = await SandboxGateway.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Theory]
    [InlineData("5a4d0000-0000-4000-8000-000000000002")] // producer: production only
    [InlineData("5a4d0000-0000-4000-8000-000000000003")] // consumer: both types
    public async Task Wallet_has_its_id_key_state_and_available_quantities_in_wh(string organization)
    {
        var organizationId = Guid.Parse(organization);
        var caller = await _env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var wallet = JsonDocument.Parse(await caller.GetStringAsync($"/organizations/{organizationId}/wallet")).RootElement;

        var state = _env.Sandbox.State;
        Assert.Equal(SandboxSeed.WalletIdOf(organizationId), wallet.GetProperty("walletId").GetGuid());
        Assert.NotEmpty(Convert.FromBase64String(wallet.GetProperty("publicKey").GetString()!));
        Assert.False(wallet.GetProperty("disabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, wallet.GetProperty("disabledAt").ValueKind);
        Assert.Equal(state.AvailableWh(organizationId, SandboxCertificateType.Production), wallet.GetProperty("availableProductionWh").GetInt64());
        Assert.Equal(state.AvailableWh(organizationId, SandboxCertificateType.Consumption), wallet.GetProperty("availableConsumptionWh").GetInt64());
        Assert.True(wallet.GetProperty("availableProductionWh").GetInt64() > 0);
    }

    [Fact]
    public async Task Wallet_costs_exactly_two_ett_calls()
    {
        var caller = await _env.CreateCallerAsync();
        await caller.GetStringAsync($"/organizations/{Producer}/wallet"); // warm up: ETT token
        _env.Sandbox.State.ClearRequests();

        await caller.GetStringAsync($"/organizations/{Producer}/wallet");

        var calls = _env.Sandbox.State.Requests.Select(r => $"{r.Method} {r.Path[r.Path.IndexOf("/wallet-api/", StringComparison.Ordinal)..]}").Order();
        Assert.Equal(["GET /wallet-api/aggregate-certificates", "GET /wallet-api/wallets"], calls);
        Assert.Contains("timeAggregate=Total", _env.Sandbox.State.Requests.Single(r => r.Path.EndsWith("aggregate-certificates")).QueryString);
    }

    [Fact]
    public async Task Receive_endpoint_returns_a_wallet_reference_a_partner_can_register()
    {
        var caller = await _env.CreateCallerAsync();
        _env.Sandbox.State.ClearRequests();

        var response = await caller.PostAsync($"/organizations/{Producer}/wallet/receive-endpoints", content: null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var reference = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("walletReference");
        Assert.Equal(1, reference.GetProperty("version").GetInt32());
        Assert.EndsWith("/wallet-api/v1/slices", reference.GetProperty("endpoint").GetString());
        Assert.NotEmpty(Convert.FromBase64String(reference.GetProperty("publicKey").GetString()!));
        var walletId = SandboxSeed.WalletIdOf(Producer);
        Assert.Equal(["GET /wallet-api/wallets", $"POST /wallet-api/wallets/{walletId}/endpoints"],
            _env.Sandbox.State.Requests.Where(r => r.Path.Contains("/wallet-api/")).Select(r => $"{r.Method} {r.Path[r.Path.IndexOf("/wallet-api/", StringComparison.Ordinal)..]}"));

        // The partner's side: another wallet registers the reference as a receiver.
        using var partner = await _env.Sandbox.CreateEttClientAsync();
        var registered = await partner.PostAsJsonAsync($"wallet-api/external-endpoints?organizationId={SandboxSeed.ConsumerOrganizationId}",
            new { walletReference = reference, textReference = "Sandbox Vindkraft A/S" });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
    }

    [Fact]
    public async Task Receive_endpoint_needs_write_permission()
    {
        var reader = await _env.CreateCallerAsync(SandboxSeed.ReaderClientId);
        _env.Sandbox.State.ClearRequests();

        var response = await reader.PostAsync($"/organizations/{Producer}/wallet/receive-endpoints", content: null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(_env.Sandbox.State.Requests, r => r.Path.Contains("/wallet-api/"));
    }

    [Fact]
    public async Task Organization_without_consent_is_not_consented()
    {
        var caller = await _env.CreateCallerAsync();

        var response = await caller.GetAsync($"/organizations/{SandboxSeed.UnconsentedOrganizationId}/wallet");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://ett-gateway/problems/not-consented", problem.GetProperty("type").GetString());
    }
}

/// <summary>Wallet states and ETT error shapes the sandbox does not produce, against a scripted ETT.</summary>
public class WalletUpstreamTests : GatewayTest
{
    private static readonly Guid Organization = Guid.Parse("1d7a3c52-8e0b-4f6a-9c21-5b4e3d2f1a09");
    private static readonly Guid WalletId = Guid.Parse("9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4");

    private void Ett(Func<string, (int Status, string? ContentType, string Body)> answer)
    {
        // The organization is in the ETT token, so the gateway asks ETT for nothing but the wallet calls.
        Upstreams.TokenOrganizations = [Organization];
        Upstreams.EttBehaviour = async (context, request) =>
        {
            var (status, contentType, body) = answer(request.Path);
            context.Response.StatusCode = status;
            if (contentType is not null) context.Response.ContentType = contentType;
            if (body.Length > 0) await context.Response.WriteAsync(body);
        };
    }

    private static (int, string?, string) Json(string body) => (200, "application/json", body);

    private static readonly (int, string?, string) NoWalletString = (404, "application/json", "\"You don't own a wallet. Create a wallet first.\"");

    [Fact]
    public async Task Disabled_wallet_shows_when_it_was_disabled()
    {
        Ett(path => path.EndsWith("/wallets")
            ? Json($$$"""{"result":[{"id":"{{{WalletId}}}","publicKey":"AQID","disabledDate":1767225600}],"metadata":{"count":1,"offset":0,"limit":2147483647,"total":1}}""")
            : Json("""{"result":[{"start":1,"end":2,"quantity":700,"type":"Production"},{"start":1,"end":2,"quantity":5,"type":"consumption"}],"metadata":{"count":2,"offset":0,"limit":2147483647,"total":2}}"""));

        var wallet = JsonDocument.Parse(await Caller.GetStringAsync($"/organizations/{Organization}/wallet")).RootElement;

        Assert.True(wallet.GetProperty("disabled").GetBoolean());
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), IsoInstant(wallet.GetProperty("disabledAt")));
        Assert.Equal(700, wallet.GetProperty("availableProductionWh").GetInt64());
        Assert.Equal(5, wallet.GetProperty("availableConsumptionWh").GetInt64());
    }

    [Fact]
    public async Task Organization_without_a_wallet_is_not_found()
    {
        Ett(path => path.EndsWith("/wallets") ? Json("""{"result":[],"metadata":{"count":0,"offset":0,"limit":2147483647,"total":0}}""") : NoWalletString);

        var response = await Caller.GetAsync($"/organizations/{Organization}/wallet");

        await ProblemAssert.EqualAsync(404, $$"""
            {
              "type": "https://ett-gateway/problems/not-found",
              "title": "Not found in ETT",
              "status": 404,
              "detail": "ETT has no wallet for organization {{Organization}}."
            }
            """, response);
    }

    [Fact]
    public async Task Receive_endpoint_for_an_organization_without_a_wallet_is_not_found_without_trying_to_create_one()
    {
        Ett(_ => Json("""{"result":[],"metadata":{"count":0,"offset":0,"limit":2147483647,"total":0}}"""));

        var response = await Caller.PostAsync($"/organizations/{Organization}/wallet/receive-endpoints", content: null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(Upstreams.EttRequests, r => r.Method == "POST");
    }

    public static TheoryData<int, string?, string, int, string, string> ErrorShapes => new()
    {
        // ProblemDetails (the wallet's NotFound()).
        { 404, "application/problem+json", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"traceId":"00-abc-01"}""",
            404, "https://ett-gateway/problems/not-found", "Not Found" },
        // EttError.
        { 403, "application/problem+json", """{"status":"Forbidden","statusCode":403,"description":"Organization has not granted consent."}""",
            403, "https://ett-gateway/problems/not-consented", "Organization has not granted consent." },
        // Bare JSON string (wallet business errors).
        { 400, "application/json", "\"Unable to interact with a disabled wallet.\"",
            400, "https://ett-gateway/problems/upstream-rejected", "Unable to interact with a disabled wallet." },
        // Empty body.
        { 500, null, "",
            502, "https://ett-gateway/problems/upstream-unavailable", "ETT answered 500 without a body." },
        { 403, null, "",
            403, "https://ett-gateway/problems/not-consented", null! },
    };

    [Theory]
    [MemberData(nameof(ErrorShapes))]
    public async Task Each_ett_error_shape_becomes_a_problem_with_a_stable_type(
        int ettStatus, string? contentType, string body, int status, string type, string? detail)
    {
        Ett(path => path.EndsWith("/endpoints") ? (ettStatus, contentType, body)
            : Json($$$"""{"result":[{"id":"{{{WalletId}}}","publicKey":"AQID","disabledDate":null}],"metadata":{"count":1,"offset":0,"limit":2147483647,"total":1}}"""));

        var response = await Caller.PostAsync($"/organizations/{Organization}/wallet/receive-endpoints", content: null);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal(ettStatus, problem.GetProperty("upstreamStatus").GetInt32());
        if (detail is not null) Assert.Equal(detail, problem.GetProperty("detail").GetString());
        else Assert.StartsWith("ETT answered 403 without a body", problem.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
    }
}
