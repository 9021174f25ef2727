using System.Net;
using Ett.Gateway.ClientSecrets;
using Ett.Gateway.Tests.Operations;
using Ett.Gateway.Tests.Operations.Store;
using Ett.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.ClientSecrets;

/// <summary>Automatic rotation with two instances on one PostgreSQL store (its own schema): one rotates, both switch.</summary>
[RequiresPostgres]
public sealed class SharedPostgresRotationTests : IAsyncLifetime
{
    private PostgresTestSchema? schema;
    private OperationsSandbox? env;

    public async Task InitializeAsync()
    {
        if ((schema = await PostgresTestSchema.CreateAsync()) is null) return;
        env = await OperationsSandbox.StartAsync(new Dictionary<string, string?>(ClientSecretRotationTests.Settings())
        {
            ["Operations:Store"] = "Postgres",
            ["ConnectionStrings:Operations"] = schema.ConnectionString,
        });
    }

    public async Task DisposeAsync()
    {
        if (env is not null) await env.DisposeAsync();
        if (schema is not null) await schema.DisposeAsync();
    }

    [StoreFact]
    public async Task Two_instances_rotate_once_and_both_obtain_their_next_token_with_the_new_secret()
    {
        var sandbox = env ?? throw new InvalidOperationException($"{RequiresPostgresAttribute.Variable} is not set.");
        var (first, second) = (sandbox.StartGateway(), sandbox.StartGateway());
        await sandbox.CallerAsync(first);
        await sandbox.CallerAsync(second);
        var onboarding = Assert.Single(sandbox.Ett.SecretsOf(SandboxSeed.EttClientId));
        sandbox.Time.SetUtcNow(onboarding.End - TimeSpan.FromDays(10));

        await Task.WhenAll(Rotate(first), Rotate(second), Rotate(first), Rotate(second));

        Assert.Single(sandbox.Ett.Requests, r => r.Method == "POST" && r.Path.EndsWith("/credentials", StringComparison.Ordinal));
        var created = Assert.Single(sandbox.Ett.SecretsOf(SandboxSeed.EttClientId), s => s.KeyId != onboarding.KeyId).KeyId;
        sandbox.Time.Advance(sandbox.Sandbox.Options.EttTokenLifetime + TimeSpan.FromMinutes(1));
        var tokenPath = sandbox.Sandbox.Options.EttTokenPath;
        var before = sandbox.Ett.Requests.Count(r => r.Path.EndsWith(tokenPath, StringComparison.Ordinal));
        foreach (var gateway in new[] { first, second })
        {
            var caller = gateway.CreateCaller(await sandbox.Sandbox.GetCallerTokenAsync());
            Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/organizations")).StatusCode);
        }
        Assert.Equal([created, created], sandbox.Ett.Requests.Where(r => r.Path.EndsWith(tokenPath, StringComparison.Ordinal)).Skip(before).Select(r => r.SecretKeyId));

        await Rotate(second);
        Assert.Equal([created], sandbox.Ett.SecretsOf(SandboxSeed.EttClientId).Select(s => s.KeyId));
    }

    private static Task Rotate(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> gateway) =>
        gateway.Services.GetRequiredService<ClientSecretRotation>().RunOnceAsync();
}
