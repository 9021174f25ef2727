using System.Collections.Concurrent;
using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// What the gateway last read of one configured ETT client's secrets. <c>InUseExpires</c> is when the secret in use
/// expires: the rotated-in one by its keyId, else the listed secret whose hint the configured one starts with, else (no
/// or several matches) the soonest listed expiry, so a warning comes too early rather than too late. <c>Failure</c>: why the last reading failed, beside the last good one.
/// </summary>
internal sealed record ClientSecretState(string ClientName, string ClientId, DateTimeOffset ReadAt, IReadOnlyList<EttCredential> Credentials,
    DateTimeOffset? InUseExpires, Guid? InUseKeyId, string? Failure);

/// <summary>
/// Reads every configured client's secrets from ETT's credentials API (<c>Ett:SecretExpiryRefresh</c>, hourly by
/// default) and keeps the answer, so readiness probes and the expiry metric never call ETT themselves. ETT's onboarding
/// secret lasts one month, later ones a year: the day it expires every call fails.
/// </summary>
internal sealed partial class ClientSecretMonitor(
    EttClient ett, IEttClientSecrets secrets, IOptionsMonitor<EttOptions> options, TimeProvider time, ILogger<ClientSecretMonitor> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, ClientSecretState> _states = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ClientSecretState> States => [.. _states.Values.OrderBy(s => s.ClientName, StringComparer.Ordinal)];

    /// <summary>Reads every configured client's secrets now.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var client in options.CurrentValue.EffectiveClients) await RefreshAsync(client, cancellationToken);
    }

    /// <summary>Reads one client's secrets now; a failure is kept beside the last good reading, never thrown.</summary>
    private async Task RefreshAsync(EttClientCredentials client, CancellationToken cancellationToken)
    {
        try
        {
            await RememberAsync(client, await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken), cancellationToken);
        }
        catch (GatewayProblemException problem) when (!cancellationToken.IsCancellationRequested)
        {
            LogReadFailed(logger, client.Name, problem.Title);
            _states[client.Name] = _states.GetValueOrDefault(client.Name) is { } previous
                ? previous with { Failure = problem.Title }
                : new ClientSecretState(client.Name, client.ClientId, time.GetUtcNow(), [], null, null, problem.Title);
        }
    }

    /// <summary>Keeps a reading of one client's secrets (the monitor's own, or an admin endpoint's).</summary>
    public async Task<ClientSecretState> RememberAsync(EttClientCredentials client, IReadOnlyList<EttCredential> credentials, CancellationToken cancellationToken)
    {
        var inUse = InUse(await secrets.CurrentAsync(client, reread: false, cancellationToken), credentials);
        var expires = inUse.Select(c => c.EndDate).OfType<long>().Order().Select(s => (DateTimeOffset?)DateTimeOffset.FromUnixTimeSeconds(s)).FirstOrDefault();
        var state = new ClientSecretState(client.Name, client.ClientId, time.GetUtcNow(), credentials, expires,
            inUse.Count == 1 ? inUse[0].KeyId : null, null);
        _states[client.Name] = state;
        return state;
    }

    /// <summary>The listed secrets the one in use may be: the one of its keyId, else those whose hint it starts with, else all.</summary>
    internal static IReadOnlyList<EttCredential> InUse(EttClientSecret secret, IReadOnlyList<EttCredential> credentials)
    {
        if (credentials.Where(c => c.KeyId == secret.KeyId).ToList() is [_] known) return known;
        var matching = credentials.Where(c => !string.IsNullOrEmpty(c.Hint) && secret.Value.StartsWith(c.Hint, StringComparison.Ordinal)).ToList();
        return matching.Count > 0 ? matching : credentials;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.CurrentValue.SecretExpiryRefresh;
        if (interval <= TimeSpan.Zero) return;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await RefreshAsync(stoppingToken);
                await Task.Delay(interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the secrets of ETT client {ClientName} failed: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string clientName, string reason);
}
