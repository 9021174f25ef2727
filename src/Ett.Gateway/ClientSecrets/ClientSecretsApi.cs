using System.ComponentModel;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Operations.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// The gateway's own ETT client secrets at ETT's credentials API, for operators (<c>Ett.Admin</c>, callers that may act
/// for every organization): list, create (the value returned once, never logged or stored by the gateway), delete.
/// </summary>
public static class ClientSecretsApi
{
    public static IServiceCollection AddClientSecrets(this IServiceCollection services)
    {
        services.AddSingleton<ClientSecretMonitor>();
        services.AddSingleton<ClientSecretMetrics>();
        // Automatic rotation: the rotated-in secret, encrypted in the operations store, wins for clients with AutoRotate.
        ClientSecretProtection.Configure(services);
        services.AddSingleton<IClientSecretStore, SqlClientSecretStore>();
        services.AddSingleton<StoredClientSecrets>();
        services.Replace(ServiceDescriptor.Singleton<IEttClientSecrets>(provider => provider.GetRequiredService<StoredClientSecrets>()));
        services.AddSingleton<ClientSecretRotation>();
        services.AddHostedService(provider => provider.GetRequiredService<ClientSecretRotation>());
        // The gauge exists from the start, reading what the monitor holds.
        services.AddHostedService(provider =>
        {
            provider.GetRequiredService<ClientSecretMetrics>();
            return provider.GetRequiredService<ClientSecretMonitor>();
        });
        services.AddHealthChecks().AddCheck<ClientSecretExpiryHealthCheck>("ett-client-secrets", tags: [Health.HealthExtensions.ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapClientSecrets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/ett-clients/{clientName}/secrets").WithTags("Admin")
            .RequireAuthorization(CallerPolicies.Admin)
            .WithMetadata(new OrganizationSourceMetadata(OrganizationSource.Every));

        group.MapGet("", ListAsync)
            .WithName("ListEttClientSecrets")
            .WithSummary("List an ETT client's secrets")
            .WithDescription("The configured ETT client's secrets as ETT lists them (never their values), with their validity and which one the gateway is configured with. ETT keeps at most two per client.")
            .Produces<ClientSecretList>()
            .WithResponseExample(StatusCodes.Status200OK, "The client's secrets.", ClientSecretList.Example)
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"ETT refused to list them ({ProblemTypes.UpstreamRejected}).")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"No configured ETT client of that name ({ProblemTypes.NotFound}).");

        group.MapPost("", CreateAsync)
            .WithName("CreateEttClientSecret")
            .WithSummary("Create a new secret for an ETT client")
            .WithDescription("ETT creates a secret valid for one year and returns its value this once: store it in the gateway's configuration (Ett:Clients:N:ClientSecret) and restart, then delete the old one. The gateway neither logs nor keeps the value. ETT refuses a third secret.")
            .Produces<CreatedClientSecret>(StatusCodes.Status201Created)
            .WithResponseExample(StatusCodes.Status201Created, "The new secret, shown once.", CreatedClientSecret.Example)
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"ETT refused: the client already has two secrets ({ProblemTypes.UpstreamRejected}).")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"No configured ETT client of that name ({ProblemTypes.NotFound}).");

        group.MapDelete("/{keyId:guid}", DeleteAsync)
            .WithName("DeleteEttClientSecret")
            .WithSummary("Delete one of an ETT client's secrets")
            .WithDescription("Deletes the secret at ETT; it stops working at once. The secret the gateway is configured with is refused (409): configure the new one first.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"keyId is not a GUID ({ProblemTypes.Validation}), or ETT knows no such secret ({ProblemTypes.UpstreamRejected}).")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"No configured ETT client of that name ({ProblemTypes.NotFound}).")
            .WithProblemResponse(StatusCodes.Status409Conflict, $"The gateway is configured with this secret ({ProblemTypes.Conflict}).");
        return app;
    }

    private static async Task<Results<Ok<ClientSecretList>, ProblemHttpResult>> ListAsync(
        [Description("The configured client's name (Ett:Clients:N:Name; `default` for Ett:ClientId).")] string clientName,
        IOptionsMonitor<EttOptions> options, EttClient ett, ClientSecretMonitor monitor, CancellationToken cancellationToken)
    {
        if (Find(options, clientName) is not { } client) return UnknownClient(clientName);
        var state = await monitor.RememberAsync(client, await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken), cancellationToken);
        return TypedResults.Ok(new ClientSecretList(client.Name, client.ClientId, [.. state.Credentials.Select(c => View(c, state))]));
    }

    private static async Task<Results<Created<CreatedClientSecret>, ProblemHttpResult>> CreateAsync(
        [Description("The configured client's name.")] string clientName,
        HttpContext http, IOptionsMonitor<EttOptions> options, EttClient ett, ClientSecretMonitor monitor, CancellationToken cancellationToken)
    {
        if (Find(options, clientName) is not { } client) return UnknownClient(clientName);
        var created = await ett.CreateCredentialAsync(client.Name, client.ClientId, cancellationToken);
        await monitor.RememberAsync(client, await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken), cancellationToken);
        if (string.IsNullOrEmpty(created.Secret)) throw EttErrors.UnreadableBody();
        // Shown once: no cache may keep it.
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/admin/ett-clients/{Uri.EscapeDataString(client.Name)}/secrets",
            new CreatedClientSecret(created.KeyId, created.Hint, Time(created.StartDate), Time(created.EndDate), created.Secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        [Description("The configured client's name.")] string clientName,
        [Description("The secret's keyId, from the list.")] Guid keyId,
        IOptionsMonitor<EttOptions> options, EttClient ett, ClientSecretMonitor monitor, CancellationToken cancellationToken)
    {
        if (Find(options, clientName) is not { } client) return UnknownClient(clientName);
        var state = await monitor.RememberAsync(client, await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken), cancellationToken);
        if (state.InUseKeyId == keyId)
            return TypedResults.Problem($"ETT client {client.Name} is configured with secret {keyId}: configure another one before deleting it.",
                statusCode: StatusCodes.Status409Conflict, title: "The secret is in use", type: ProblemTypes.Conflict);
        await ett.DeleteCredentialAsync(client.Name, client.ClientId, keyId, cancellationToken);
        await monitor.RememberAsync(client, await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken), cancellationToken);
        return TypedResults.NoContent();
    }

    private static EttClientCredentials? Find(IOptionsMonitor<EttOptions> options, string name) =>
        options.CurrentValue.EffectiveClients.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    private static ProblemHttpResult UnknownClient(string name) =>
        TypedResults.Problem($"No ETT client named '{name}' is configured.", statusCode: StatusCodes.Status404NotFound, title: "ETT client not found", type: ProblemTypes.NotFound);

    private static ClientSecretView View(EttCredential credential, ClientSecretState state) =>
        new(credential.KeyId, credential.Hint, Time(credential.StartDate), Time(credential.EndDate), state.InUseKeyId == credential.KeyId);

    private static DateTimeOffset? Time(long? unixSeconds) => unixSeconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
}
