using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.ClientSecrets;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Ett.Gateway.Tests.ClientSecrets;

/// <summary>
/// The ETT client secret's lifecycle against the sandbox's credentials API (EO CredentialController.cs): the gateway
/// reads each client's secrets, readiness turns Degraded inside <c>Ett:SecretExpiryWarning</c>, the expiry is a metric,
/// and an operator (Ett.Admin) creates a secret — shown once, never logged — and deletes an old one.
/// </summary>
public sealed class ClientSecretTests : IAsyncLifetime
{
    private const string Secrets = "/admin/ett-clients/default/secrets";
    private SandboxGateway _env = null!;

    public async Task InitializeAsync() => _env = await SandboxGateway.StartAsync();

    private ClientSecretMonitor Monitor => _env.Gateway.Services.GetRequiredService<ClientSecretMonitor>();

    private DateTimeOffset OnboardingExpiry => Assert.Single(_env.Sandbox.State.SecretsOf(SandboxSeed.EttClientId)).End;

    [Fact]
    public async Task Readiness_is_degraded_ten_days_before_the_secret_expires_without_calling_ett_itself()
    {
        _env.Time.SetUtcNow(OnboardingExpiry - TimeSpan.FromDays(20));
        await Monitor.RefreshAsync(CancellationToken.None);
        Assert.Equal("Healthy", (await SecretsCheckAsync()).GetProperty("status").GetString());

        _env.Time.SetUtcNow(OnboardingExpiry - TimeSpan.FromDays(10));
        await Monitor.RefreshAsync(CancellationToken.None);
        var before = _env.Sandbox.State.Requests.Count;
        var check = await SecretsCheckAsync();

        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains("expires", check.GetProperty("description").GetString());
        Assert.Contains("in 10 days", check.GetProperty("description").GetString());
        Assert.Equal(before, _env.Sandbox.State.Requests.Count);
    }

    [Fact]
    public async Task The_expiry_metric_counts_seconds_until_the_configured_secret_expires_per_client()
    {
        using var collector = new MetricCollector<double>(_env.Gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            ClientSecretMetrics.MeterName, ClientSecretMetrics.ExpiryInstrument);
        _env.Time.SetUtcNow(OnboardingExpiry - TimeSpan.FromDays(10));
        await Monitor.RefreshAsync(CancellationToken.None);

        collector.RecordObservableInstruments();

        var measurement = collector.LastMeasurement!;
        Assert.Equal(TimeSpan.FromDays(10).TotalSeconds, measurement.Value);
        Assert.Equal("default", measurement.Tags["client"]);
    }

    [Fact]
    public async Task An_operator_creates_a_secret_shown_once_that_works_at_ett_and_deletes_the_old_one_but_never_the_one_in_use()
    {
        var admin = await _env.CreateCallerAsync(SandboxSeed.AdminClientId);
        var onboarding = Assert.Single(_env.Sandbox.State.SecretsOf(SandboxSeed.EttClientId));

        var created = await admin.PostAsync(Secrets, null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        var keyId = body.GetProperty("keyId").GetGuid();
        Assert.Equal(2, _env.Sandbox.State.SecretsOf(SandboxSeed.EttClientId).Count);

        var token = await _env.Sandbox.CreateClient().PostAsync(_env.Sandbox.EttTokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = SandboxSeed.EttClientId, ["client_secret"] = secret,
        }));
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal(keyId, _env.Sandbox.State.Requests.Last(r => r.Path.EndsWith("ett-token", StringComparison.Ordinal)).SecretKeyId);

        var list = await admin.GetFromJsonAsync<JsonElement>(Secrets);
        Assert.DoesNotContain(secret, list.GetRawText());
        var inUse = list.GetProperty("secrets").EnumerateArray().Single(s => s.GetProperty("inUse").GetBoolean());
        Assert.Equal(onboarding.KeyId, inUse.GetProperty("keyId").GetGuid());

        // The gateway is configured with the onboarding secret: deleting it is refused before ETT hears of it.
        var deletes = DeletesAtEtt();
        var refused = await admin.DeleteAsync($"{Secrets}/{onboarding.KeyId}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("https://ett-gateway/problems/conflict", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(deletes, DeletesAtEtt());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Secrets}/{keyId}")).StatusCode);
        Assert.Equal([onboarding.KeyId], _env.Sandbox.State.SecretsOf(SandboxSeed.EttClientId).Select(s => s.KeyId));
        Assert.Equal(deletes + 1, DeletesAtEtt());

        Assert.DoesNotContain(secret, _env.Gateway.AllLogText());
        Assert.DoesNotContain(SandboxSeed.EttClientSecret, _env.Gateway.AllLogText());
    }

    [Fact]
    public async Task A_third_secret_is_etts_refusal_as_a_problem()
    {
        var admin = await _env.CreateCallerAsync(SandboxSeed.AdminClientId);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync(Secrets, null)).StatusCode);

        var third = await admin.PostAsync(Secrets, null);

        Assert.Equal(HttpStatusCode.BadRequest, third.StatusCode);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, _env.Sandbox.State.SecretsOf(SandboxSeed.EttClientId).Count);
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        { SandboxSeed.CallerClientId, "POST", Secrets },
        { SandboxSeed.CallerClientId, "GET", Secrets },
        { SandboxSeed.CallerClientId, "DELETE", $"{Secrets}/c2ed0000-0000-4000-8000-000000000001" },
        { SandboxSeed.ReaderClientId, "POST", Secrets },
        { SandboxSeed.ReaderClientId, "DELETE", $"{Secrets}/c2ed0000-0000-4000-8000-000000000001" },
        { SandboxSeed.AdminClientId, "POST", "/admin/ett-clients/unknown/secrets" },
        { SandboxSeed.AdminClientId, "DELETE", "/admin/ett-clients/unknown/secrets/c2ed0000-0000-4000-8000-000000000001" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Without_ett_admin_or_for_an_unknown_client_nothing_reaches_etts_credentials_api(string callerId, string method, string path)
    {
        var caller = await _env.CreateCallerAsync(callerId);
        var before = _env.Sandbox.State.Requests.Count(r => r.Path.Contains("/credentials", StringComparison.Ordinal));

        var response = await caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, _env.Sandbox.State.Requests.Count(r => r.Path.Contains("/credentials", StringComparison.Ordinal)));
        Assert.Single(_env.Sandbox.State.SecretsOf(SandboxSeed.EttClientId));
    }

    private int DeletesAtEtt() => _env.Sandbox.State.Requests.Count(r => r.Method == "DELETE" && r.Path.Contains("/credentials/", StringComparison.Ordinal));

    private async Task<JsonElement> SecretsCheckAsync()
    {
        var response = await _env.Gateway.CreateClient().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").GetProperty("ett-client-secrets").Clone();
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();
}
