using Ett.Gateway.Errors;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// Automatic rotation (<c>Ett:Clients:N:AutoRotate</c>): once the secret in use expires within
/// <c>Ett:SecretRotateBefore</c>, the gateway creates a new one at ETT, proves it by obtaining a token with it, stores it
/// encrypted (<see cref="ClientSecretProtection"/>) so every instance switches to it, switches itself, and deletes the old
/// one after <see cref="RetireDelay"/>, once every instance has re-read the store. No outage on expiry day.
/// <para>
/// Safe with several instances: a lease in the store lets one rotate a client at a time. Safe against a crash: the intent
/// to create is stored before ETT is asked, so a secret created but never stored (its value lost) is recognised on a
/// later pass as one started after the intent and deleted, which also frees ETT's second slot (at most two per client,
/// EO CredentialService.cs). A second secret the gateway knows nothing of (e.g. an operator's) is never deleted while
/// valid: rotation is then <c>blocked</c> and says so. Runs every <c>Ett:SecretExpiryRefresh</c> on the TimeProvider.
/// </para>
/// </summary>
internal sealed partial class ClientSecretRotation(
    IClientSecretStore store, StoredClientSecrets secrets, ClientSecretProtection protection, EttClient ett, EttTokenProvider tokens,
    ClientSecretMonitor monitor, ClientSecretMetrics metrics, IAuditStore audit, IOptionsMonitor<EttOptions> options, TimeProvider time,
    ILogger<ClientSecretRotation> logger) : BackgroundService
{
    public static readonly IReadOnlyList<string> Outcomes = ["rotated", "old_deleted", "orphan_deleted", "blocked", "failed"];

    /// <summary>How long one instance owns a client's rotation; a crashed owner's lease lapses after it.</summary>
    internal static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(5);

    /// <summary>The old secret outlives the switch this long: every instance re-reads the store within <see cref="StoredClientSecrets.Lifetime"/>.</summary>
    internal static readonly TimeSpan RetireDelay = TimeSpan.FromMinutes(5);

    // ETT's clock stamps a secret's start; it may trail the gateway's a little.
    private static readonly TimeSpan ClockTolerance = TimeSpan.FromMinutes(5);

    private const string AuditCaller = "ett-gateway (automatic secret rotation)";

    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.CurrentValue.SecretExpiryRefresh;
        if (interval <= TimeSpan.Zero || !options.CurrentValue.EffectiveClients.Any(c => c.AutoRotate)) return;
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do await RunOnceAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One pass over every client with AutoRotate; tests call it directly instead of waiting for the clock.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            foreach (var client in options.CurrentValue.EffectiveClients.Where(c => c.AutoRotate))
            {
                try
                {
                    await RotateAsync(client, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The intent stays in the store: the next pass cleans up whatever ETT created.
                    await OutcomeAsync(client, "failed", "POST", StatusCodes.Status502BadGateway, cancellationToken);
                    LogFailed(logger, client.Name, exception is GatewayProblemException problem ? problem.Title : exception.GetType().Name);
                }
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task RotateAsync(EttClientCredentials client, CancellationToken cancellationToken)
    {
        if (!await store.TryLeaseAsync(client.Name, client.ClientId, _instance, time.GetUtcNow() + LeaseDuration, cancellationToken))
        {
            LogLeased(logger, client.Name);
            return;
        }
        try
        {
            var record = await store.GetAsync(client.Name, cancellationToken);
            var secret = await secrets.CurrentAsync(client, reread: true, cancellationToken);
            var listed = await ListAsync(client, cancellationToken);
            if (ClientSecretMonitor.InUse(secret, listed) is not [var inUse])
            {
                await BlockedAsync(client, "which of the listed secrets the gateway uses is unclear", cancellationToken);
                return;
            }

            if (record?.RetireKeyId is { } old && time.GetUtcNow() >= record.RetireAfter)
            {
                if (old != inUse.KeyId && listed.Any(c => c.KeyId == old))
                {
                    await ett.DeleteCredentialAsync(client.Name, client.ClientId, old, cancellationToken);
                    LogOldDeleted(logger, client.Name, old);
                    await OutcomeAsync(client, "old_deleted", "DELETE", StatusCodes.Status204NoContent, cancellationToken);
                    listed = await ListAsync(client, cancellationToken);
                }
                await store.ClearRetireAsync(client.Name, _instance, cancellationToken);
            }

            if (record?.CreatingSince is { } since)
            {
                // Created after the intent and not stored: a crashed rotation's secret, whose value nobody has.
                foreach (var orphan in listed.Where(c => c.KeyId != inUse.KeyId && c.KeyId != record.RetireKeyId && StartOf(c) >= since - ClockTolerance))
                {
                    await ett.DeleteCredentialAsync(client.Name, client.ClientId, orphan.KeyId, cancellationToken);
                    LogOrphanDeleted(logger, client.Name, orphan.KeyId);
                    await OutcomeAsync(client, "orphan_deleted", "DELETE", StatusCodes.Status204NoContent, cancellationToken);
                }
                await store.SetCreatingAsync(client.Name, _instance, null, cancellationToken);
                listed = await ListAsync(client, cancellationToken);
            }

            var now = time.GetUtcNow();
            if (EndOf(inUse) is not { } expires || expires - now > options.CurrentValue.SecretRotateBefore) return;
            foreach (var expired in listed.Where(c => c.KeyId != inUse.KeyId && EndOf(c) <= now))
            {
                // An expired secret works for nobody; it only takes ETT's second slot.
                await ett.DeleteCredentialAsync(client.Name, client.ClientId, expired.KeyId, cancellationToken);
                LogOldDeleted(logger, client.Name, expired.KeyId);
                await OutcomeAsync(client, "old_deleted", "DELETE", StatusCodes.Status204NoContent, cancellationToken);
            }
            if (listed.FirstOrDefault(c => c.KeyId != inUse.KeyId && !(EndOf(c) <= now)) is { } unknown)
            {
                await BlockedAsync(client, $"ETT holds a second secret ({unknown.KeyId}) the gateway does not know: configure it or delete it", cancellationToken);
                return;
            }

            await ReplaceAsync(client, inUse, expires, cancellationToken);
        }
        finally
        {
            await store.ReleaseAsync(client.Name, _instance, CancellationToken.None);
        }
    }

    /// <summary>Create → prove with a token → store encrypted → switch; the old one is deleted on a later pass.</summary>
    private async Task ReplaceAsync(EttClientCredentials client, EttCredential old, DateTimeOffset oldExpires, CancellationToken cancellationToken)
    {
        if (!await store.SetCreatingAsync(client.Name, _instance, time.GetUtcNow(), cancellationToken)) return;
        var created = await ett.CreateCredentialAsync(client.Name, client.ClientId, cancellationToken);
        if (string.IsNullOrEmpty(created.Secret)) throw EttErrors.UnreadableBody();
        var candidate = new EttClientSecret(created.Secret, created.KeyId);

        EttAccessToken proof;
        try
        {
            proof = await tokens.ProveAsync(client.Name, candidate, cancellationToken);
        }
        catch (GatewayProblemException)
        {
            // A secret that obtains no token is no replacement: the old one stays in use, the new one goes.
            await ett.DeleteCredentialAsync(client.Name, client.ClientId, created.KeyId, cancellationToken);
            await store.SetCreatingAsync(client.Name, _instance, null, cancellationToken);
            throw;
        }

        var now = time.GetUtcNow();
        var rotated = new RotatedSecret(client.ClientId, created.KeyId, protection.Protect(created.Secret), TimeOf(created.EndDate));
        if (!await store.SwitchAsync(client.Name, _instance, rotated, old.KeyId, now + RetireDelay, now, cancellationToken))
            throw new InvalidOperationException("The rotation lease was lost before the new secret was stored.");
        secrets.Remember(client, candidate);
        tokens.Install(proof);

        LogRotated(logger, client.Name, created.KeyId, old.KeyId, oldExpires, rotated.ExpiresAt, now + RetireDelay);
        await OutcomeAsync(client, "rotated", "POST", StatusCodes.Status200OK, cancellationToken);
        await monitor.RememberAsync(client, await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken), cancellationToken);
    }

    private async Task<IReadOnlyList<EttCredential>> ListAsync(EttClientCredentials client, CancellationToken cancellationToken)
    {
        var listed = await ett.GetCredentialsAsync(client.Name, client.ClientId, cancellationToken);
        await monitor.RememberAsync(client, listed, cancellationToken);
        return listed;
    }

    private async Task BlockedAsync(EttClientCredentials client, string reason, CancellationToken cancellationToken)
    {
        LogBlocked(logger, client.Name, reason);
        await OutcomeAsync(client, "blocked", "POST", StatusCodes.Status409Conflict, cancellationToken);
    }

    /// <summary>The metric, and a record in the audit trail (its store failing never stops a rotation).</summary>
    private async Task OutcomeAsync(EttClientCredentials client, string outcome, string method, int status, CancellationToken cancellationToken)
    {
        metrics.Rotation(client.Name, outcome);
        var now = time.GetUtcNow();
        try
        {
            await audit.AppendAsync(new AuditRecord
            {
                AuditId = Guid.CreateVersion7(now),
                RecordedAt = now,
                CallerId = AuditCaller,
                Action = $"RotateEttClientSecret:{outcome}",
                Method = method,
                Path = $"/api/authorization/clients/{client.ClientId}/credentials",
                Status = status,
                Outcome = status >= 500 ? "failed" : status >= 400 ? "refused" : "succeeded",
                Certificates = [],
                CorrelationId = Correlation.NewId(time),
            }, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogAuditFailed(logger, client.Name, exception.GetType().Name);
        }
    }

    private static DateTimeOffset? TimeOf(long? unixSeconds) => unixSeconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    private static DateTimeOffset? EndOf(EttCredential credential) => TimeOf(credential.EndDate);

    private static DateTimeOffset StartOf(EttCredential credential) => TimeOf(credential.StartDate) ?? DateTimeOffset.MaxValue;

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotated the secret of ETT client {ClientName}: {NewKeyId} replaces {OldKeyId} (expiring {OldExpires:O}), valid until {NewExpires:O}; the old one is deleted after {RetireAfter:O}")]
    private static partial void LogRotated(ILogger logger, string clientName, Guid newKeyId, Guid oldKeyId, DateTimeOffset oldExpires, DateTimeOffset? newExpires, DateTimeOffset retireAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the old secret {KeyId} of ETT client {ClientName}")]
    private static partial void LogOldDeleted(ILogger logger, string clientName, Guid keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted secret {KeyId} of ETT client {ClientName}: an interrupted rotation created it and never stored it")]
    private static partial void LogOrphanDeleted(ILogger logger, string clientName, Guid keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Automatic rotation of ETT client {ClientName}'s secret is blocked: {Reason}")]
    private static partial void LogBlocked(ILogger logger, string clientName, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Automatic rotation of ETT client {ClientName}'s secret failed: {Reason}; the secret in use stays, the next pass tries again")]
    private static partial void LogFailed(ILogger logger, string clientName, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another gateway instance is rotating ETT client {ClientName}'s secret")]
    private static partial void LogLeased(ILogger logger, string clientName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the audit record of ETT client {ClientName}'s secret rotation failed ({Error})")]
    private static partial void LogAuditFailed(ILogger logger, string clientName, string error);
}
