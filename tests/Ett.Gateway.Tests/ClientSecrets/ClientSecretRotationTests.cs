using System.Net;
using Ett.Gateway.ClientSecrets;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Gateway.Tests.Operations;
using Ett.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Ett.Gateway.Tests.ClientSecrets;

/// <summary>
/// Automatic rotation of the ETT client secret (<c>Ett:AutoRotate</c>) against the sandbox's credentials API (EO
/// CredentialController.cs: at most two secrets, a new one valid a year) with gateway instances sharing one store and
/// one fake clock. The rotation's pass is run directly, as the hosted loop would every <c>Ett:SecretExpiryRefresh</c>.
/// </summary>
public sealed class ClientSecretRotationTests : IAsyncLifetime
{
    private OperationsSandbox _env = null!;

    public async Task InitializeAsync() => _env = await OperationsSandbox.StartAsync(Settings());

    public async Task DisposeAsync() => await _env.DisposeAsync();

    internal static Dictionary<string, string?> Settings(bool autoRotate = true) => new() { ["Ett:AutoRotate"] = autoRotate ? "true" : "false" };

    private SandboxClientSecret Onboarding => Assert.Single(_env.Ett.SecretsOf(SandboxSeed.EttClientId));

    private IReadOnlyList<Guid> SecretsAtEtt() => [.. _env.Ett.SecretsOf(SandboxSeed.EttClientId).Select(s => s.KeyId)];

    private IReadOnlyList<EttRequest> TokenRequests() =>
        [.. _env.Ett.Requests.Where(r => r.Path.EndsWith(_env.Sandbox.Options.EttTokenPath, StringComparison.Ordinal))];

    private int CreatesAtEtt() => _env.Ett.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/credentials", StringComparison.Ordinal));

    private static Task RotateAsync(GatewayFactory gateway) => gateway.Services.GetRequiredService<ClientSecretRotation>().RunOnceAsync();

    /// <summary>A call that needs an ETT token, by a caller with a fresh token (the clock jumps by days).</summary>
    private async Task CallSucceedsAsync(GatewayFactory gateway)
    {
        var response = await gateway.CreateCaller(await _env.Sandbox.GetCallerTokenAsync()).GetAsync("/organizations");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Past every cached ETT token and every instance's cached read of the store.</summary>
    private void ExpireTokens() => _env.Time.Advance(_env.Sandbox.Options.EttTokenLifetime + TimeSpan.FromMinutes(1));

    [Fact]
    public async Task A_secret_inside_the_warning_window_is_replaced_proved_and_its_predecessor_deleted_and_a_second_instance_follows_without_a_failed_call()
    {
        var first = _env.StartGateway();
        var second = _env.StartGateway();
        await _env.CallerAsync(first);
        await _env.CallerAsync(second);
        var onboarding = Onboarding;
        _env.Time.SetUtcNow(onboarding.End - TimeSpan.FromDays(10));
        await CallSucceedsAsync(first);
        await CallSucceedsAsync(second);
        Assert.All(TokenRequests(), r => Assert.Equal(onboarding.KeyId, r.SecretKeyId));
        using var rotations = new MetricCollector<long>(first.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            ClientSecretMetrics.MeterName, ClientSecretMetrics.RotationsInstrument);

        await RotateAsync(first);

        var created = Assert.Single(SecretsAtEtt(), id => id != onboarding.KeyId);
        Assert.Equal([onboarding.KeyId, created], SecretsAtEtt());
        // Proved: the token endpoint granted a token for the new secret before anything switched to it.
        Assert.Equal(created, TokenRequests()[^1].SecretKeyId);
        Assert.Equal((onboarding.End - TimeSpan.FromDays(10)).AddYears(1), _env.Ett.SecretsOf(SandboxSeed.EttClientId).Single(s => s.KeyId == created).End);
        Assert.Contains(rotations.GetMeasurementSnapshot(), m => m.Value == 1 && (string?)m.Tags["outcome"] == "rotated");
        await CallSucceedsAsync(first);
        await CallSucceedsAsync(second);

        // Until every instance re-read the store, the old secret stays at ETT.
        await RotateAsync(first);
        Assert.Equal([onboarding.KeyId, created], SecretsAtEtt());

        ExpireTokens();
        var before = TokenRequests().Count;
        await CallSucceedsAsync(second);
        await CallSucceedsAsync(first);
        Assert.Equal([created, created], TokenRequests().Skip(before).Select(r => r.SecretKeyId));

        await RotateAsync(second);
        Assert.Equal([created], SecretsAtEtt());
        ExpireTokens();
        await CallSucceedsAsync(first);
        await CallSucceedsAsync(second);
        Assert.All(TokenRequests().Skip(before), r => Assert.Equal(created, r.SecretKeyId));
        Assert.Equal(1, CreatesAtEtt());

        var trail = await first.Services.GetRequiredService<IAuditStore>().ListAsync(new AuditQuery(null, null, null, null, null, 10, null), CancellationToken.None);
        Assert.Equal(["RotateEttClientSecret:old_deleted", "RotateEttClientSecret:rotated"], trail.Select(r => r.Action));
        var secret = SecretValue(created);
        Assert.DoesNotContain(secret, first.AllLogText());
        Assert.DoesNotContain(secret, second.AllLogText());
    }

    [Fact]
    public async Task The_store_holds_the_key_ring_and_the_secret_only_encrypted()
    {
        var gateway = _env.StartGateway();
        await _env.CallerAsync(gateway);
        var onboarding = Onboarding;
        _env.Time.SetUtcNow(onboarding.End - TimeSpan.FromDays(10));

        await RotateAsync(gateway);

        var created = Assert.Single(SecretsAtEtt(), id => id != onboarding.KeyId);
        var secret = SecretValue(created);
        var database = gateway.Services.GetRequiredService<StoreDatabase>();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        var keys = await Sql.QueryAsync(connection, null, "SELECT xml FROM data_protection_keys", [], r => r.GetString(0), CancellationToken.None);
        Assert.NotEmpty(keys);
        Assert.All(keys, xml => Assert.Contains("<key id=", xml));
        var rows = await Sql.QueryAsync(connection, null, "SELECT key_id, protected_secret FROM ett_client_secrets", [],
            r => (KeyId: r.GetString(0), Protected: r.GetString(1)), CancellationToken.None);
        var row = Assert.Single(rows);
        Assert.Equal(created.ToString("D"), row.KeyId);
        Assert.DoesNotContain(secret, row.Protected);
        Assert.DoesNotContain(secret, string.Join('\n', keys));
        Assert.Equal(secret, gateway.Services.GetRequiredService<ClientSecretProtection>().Unprotect(row.Protected));
    }

    [Fact]
    public async Task Two_instances_rotating_at_once_create_one_secret()
    {
        var (first, second) = (_env.StartGateway(), _env.StartGateway());
        await _env.CallerAsync(first);
        await _env.CallerAsync(second);
        _env.Time.SetUtcNow(Onboarding.End - TimeSpan.FromDays(10));

        await Task.WhenAll(RotateAsync(first), RotateAsync(second), RotateAsync(first), RotateAsync(second));

        Assert.Equal(1, CreatesAtEtt());
        Assert.Equal(2, SecretsAtEtt().Count);
    }

    [Fact]
    public async Task Nothing_rotates_before_Ett_SecretRotateBefore()
    {
        var gateway = _env.StartGateway();
        await _env.CallerAsync(gateway);
        _env.Time.SetUtcNow(Onboarding.End - TimeSpan.FromDays(22));

        await RotateAsync(gateway);

        Assert.Equal(0, CreatesAtEtt());
        Assert.Single(SecretsAtEtt());
    }

    [Fact]
    public async Task A_crash_between_creating_and_storing_the_secret_is_cleaned_up_by_the_next_pass_without_an_outage()
    {
        var crashing = _env.StartGateway(services => services.Replace(ServiceDescriptor.Singleton<IClientSecretStore>(provider =>
            new CrashBeforeSwitch(ActivatorUtilities.CreateInstance<SqlClientSecretStore>(provider)))));
        await _env.CallerAsync(crashing);
        var onboarding = Onboarding;
        _env.Time.SetUtcNow(onboarding.End - TimeSpan.FromDays(10));

        await RotateAsync(crashing);

        // ETT holds the lost secret beside the one in use, its second and last slot.
        var lost = Assert.Single(SecretsAtEtt(), id => id != onboarding.KeyId);
        await _env.StopAsync(crashing);
        var restarted = _env.StartGateway();
        await _env.CallerAsync(restarted);
        await CallSucceedsAsync(restarted);

        await RotateAsync(restarted);

        var created = Assert.Single(SecretsAtEtt(), id => id != onboarding.KeyId);
        Assert.NotEqual(lost, created);
        Assert.Equal(2, CreatesAtEtt());
        Assert.Contains(_env.Ett.Requests, r => r.Method == "DELETE" && r.Path.EndsWith($"/credentials/{lost}", StringComparison.Ordinal));
        ExpireTokens();
        await CallSucceedsAsync(restarted);
        Assert.Equal(created, TokenRequests()[^1].SecretKeyId);
        Assert.Contains("an interrupted rotation created it", restarted.AllLogText());
    }

    [Fact]
    public async Task A_second_secret_the_gateway_does_not_know_blocks_rotation_and_is_never_deleted()
    {
        var gateway = _env.StartGateway();
        var admin = gateway.CreateCaller(await _env.Sandbox.GetCallerTokenAsync(SandboxSeed.AdminClientId));
        await _env.RunWorkerAsync(gateway);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/admin/ett-clients/default/secrets", null)).StatusCode);
        var both = SecretsAtEtt();
        _env.Time.SetUtcNow(OldestOf(both).End - TimeSpan.FromDays(10));

        await RotateAsync(gateway);

        Assert.Equal(both, SecretsAtEtt());
        Assert.Equal(1, CreatesAtEtt());
        Assert.Contains("rotation of ETT client default's secret is blocked", gateway.AllLogText());
    }

    private SandboxClientSecret OldestOf(IReadOnlyList<Guid> keys) =>
        _env.Ett.SecretsOf(SandboxSeed.EttClientId).OrderBy(s => s.Start).First(s => keys.Contains(s.KeyId));

    private string SecretValue(Guid keyId)
    {
        lock (_env.Ett.Sync) return _env.Ett.Data.Clients[SandboxSeed.EttClientId].Secrets.Single(s => s.KeyId == keyId).Value;
    }

    /// <summary>The instance dies after ETT created the secret and before the store holds it: nothing is switched.</summary>
    private sealed class CrashBeforeSwitch(IClientSecretStore inner) : IClientSecretStore
    {
        public Task<ClientSecretRecord?> GetAsync(string clientName, CancellationToken cancellationToken) => inner.GetAsync(clientName, cancellationToken);

        public Task<bool> TryLeaseAsync(string clientName, string clientId, string owner, DateTimeOffset until, CancellationToken cancellationToken) =>
            inner.TryLeaseAsync(clientName, clientId, owner, until, cancellationToken);

        public Task ReleaseAsync(string clientName, string owner, CancellationToken cancellationToken) => inner.ReleaseAsync(clientName, owner, cancellationToken);

        public Task<bool> SetCreatingAsync(string clientName, string owner, DateTimeOffset? since, CancellationToken cancellationToken) =>
            inner.SetCreatingAsync(clientName, owner, since, cancellationToken);

        public Task<bool> SwitchAsync(string clientName, string owner, RotatedSecret secret, Guid? retireKeyId, DateTimeOffset retireAfter, DateTimeOffset now, CancellationToken cancellationToken) =>
            throw new IOException("The process died.");

        public Task<bool> ClearRetireAsync(string clientName, string owner, CancellationToken cancellationToken) => inner.ClearRetireAsync(clientName, owner, cancellationToken);
    }
}

/// <summary>Without <c>AutoRotate</c> nothing rotates, even inside the warning window.</summary>
public sealed class ClientSecretRotationOffTests : IAsyncLifetime
{
    private OperationsSandbox _env = null!;

    public async Task InitializeAsync() => _env = await OperationsSandbox.StartAsync(ClientSecretRotationTests.Settings(autoRotate: false));

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Without_AutoRotate_no_secret_is_created_or_deleted()
    {
        var gateway = _env.StartGateway();
        await _env.CallerAsync(gateway);
        var onboarding = Assert.Single(_env.Ett.SecretsOf(SandboxSeed.EttClientId));
        _env.Time.SetUtcNow(onboarding.End - TimeSpan.FromDays(3));

        await gateway.Services.GetRequiredService<ClientSecretRotation>().RunOnceAsync();

        Assert.DoesNotContain(_env.Ett.Requests, r => r.Path.Contains("/credentials", StringComparison.Ordinal));
        Assert.Equal([onboarding.KeyId], _env.Ett.SecretsOf(SandboxSeed.EttClientId).Select(s => s.KeyId));
    }
}

/// <summary><c>Ett:Clients:N:AutoRotate</c> is per client: only the clients that have it rotate.</summary>
public sealed class ClientSecretRotationPerClientTests : IAsyncLifetime
{
    private OperationsSandbox _env = null!;

    public async Task InitializeAsync() => _env = await OperationsSandbox.StartAsync(new Dictionary<string, string?>
    {
        ["Ett:ClientId"] = null,
        ["Ett:ClientSecret"] = null,
        ["Ett:Clients:0:Name"] = "rotating",
        ["Ett:Clients:0:ClientId"] = SandboxSeed.EttClientId,
        ["Ett:Clients:0:ClientSecret"] = SandboxSeed.EttClientSecret,
        ["Ett:Clients:0:AutoRotate"] = "true",
        ["Ett:Clients:1:Name"] = "manual",
        ["Ett:Clients:1:ClientId"] = SandboxSeed.SecondEttClientId,
        ["Ett:Clients:1:ClientSecret"] = SandboxSeed.SecondEttClientSecret,
    });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Only_the_client_with_AutoRotate_gets_a_new_secret()
    {
        var gateway = _env.StartGateway();
        await _env.CallerAsync(gateway);
        var manual = Assert.Single(_env.Ett.SecretsOf(SandboxSeed.SecondEttClientId));
        _env.Time.SetUtcNow(Assert.Single(_env.Ett.SecretsOf(SandboxSeed.EttClientId)).End - TimeSpan.FromDays(10));

        await gateway.Services.GetRequiredService<ClientSecretRotation>().RunOnceAsync();

        Assert.Equal(2, _env.Ett.SecretsOf(SandboxSeed.EttClientId).Count);
        Assert.Equal([manual.KeyId], _env.Ett.SecretsOf(SandboxSeed.SecondEttClientId).Select(s => s.KeyId));
        Assert.DoesNotContain(_env.Ett.Requests, r => r.Path.Contains($"/clients/{SandboxSeed.SecondEttClientId}/credentials", StringComparison.Ordinal));
    }

    [Fact]
    public void Rotation_must_come_before_the_expiry_warning()
    {
        var options = new Ett.Gateway.Upstream.EttOptions
        {
            BaseUrl = new Uri("https://ett.example"), TokenUrl = new Uri("https://ett.example/token"),
            ClientId = "client", ClientSecret = "secret", AutoRotate = true, SecretRotateBefore = TimeSpan.FromDays(14),
        };

        var result = new Ett.Gateway.Upstream.EttOptionsValidator().Validate(null, options);

        Assert.Contains("Ett:SecretRotateBefore must be longer than Ett:SecretExpiryWarning", result.FailureMessage);
        Assert.True(new Ett.Gateway.Upstream.EttOptionsValidator().Validate(null, options with { SecretRotateBefore = TimeSpan.FromDays(15) }).Succeeded);
    }
}
