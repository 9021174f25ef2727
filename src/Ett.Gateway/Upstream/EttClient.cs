using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Defaults;
using Ett.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>
/// The typed ETT client the features use: one method per ETT operation, ETT's own paths and wire shapes. Token,
/// version pin and renewal come from the <c>ett</c> HttpClient's handlers; non-success answers become ProblemDetails.
/// </summary>
public sealed class EttClient(IHttpClientFactory httpClients, IOptions<EttResilienceOptions> resilience, TimeProvider time)
{
    private HttpClient Http => httpClients.CreateClient(EttRequest.HttpClientName);

    public async Task<IReadOnlyList<Consent>> GetConsentsAsync(string clientName, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/authorization/client/consents");
        request.Options.Set(EttRequest.ClientName, clientName);
        return (await SendAsync<EttResultList<Consent>>(request, ct)).Items;
    }

    /// <summary>A client's own secrets, read with its own token: ETT lets a client manage only its organization's clients.</summary>
    public async Task<IReadOnlyList<EttCredential>> GetCredentialsAsync(string clientName, string clientId, CancellationToken ct)
    {
        using var request = ForClient(HttpMethod.Get, CredentialsPath(clientId), clientName);
        return (await SendAsync<EttResultList<EttCredential>>(request, ct)).Items;
    }

    /// <summary>A new secret, valid a year; ETT refuses a third (400).</summary>
    public async Task<EttCreatedCredential> CreateCredentialAsync(string clientName, string clientId, CancellationToken ct)
    {
        using var request = ForClient(HttpMethod.Post, CredentialsPath(clientId), clientName);
        return await SendAsync<EttCreatedCredential>(request, ct);
    }

    public async Task DeleteCredentialAsync(string clientName, string clientId, Guid keyId, CancellationToken ct)
    {
        using var request = ForClient(HttpMethod.Delete, $"{CredentialsPath(clientId)}/{keyId}", clientName);
        using var response = await SendRawAsync(request, ct);
        await EttRequest.EnsureSuccessAsync(response, ct);
    }

    private static string CredentialsPath(string clientId) => $"api/authorization/clients/{Uri.EscapeDataString(clientId)}/credentials";

    private static HttpRequestMessage ForClient(HttpMethod method, string path, string clientName)
    {
        var request = new HttpRequestMessage(method, path);
        request.Options.Set(EttRequest.ClientName, clientName);
        return request;
    }

    public async Task<EttMeteringPointList> GetMeteringPointsAsync(Guid organizationId, CancellationToken ct) =>
        await GetAsync<EttMeteringPointList>($"api/measurements/meteringpoints?organizationId={organizationId}", ct);

    public async Task<IReadOnlyList<EttContract>> GetContractsAsync(Guid organizationId, CancellationToken ct) =>
        (await GetAsync<EttResultList<EttContract>>($"api/certificates/contracts?organizationId={organizationId}", ct)).Items;

    public async Task<IReadOnlyList<EttReportStatus>> GetReportsAsync(Guid organizationId, CancellationToken ct) =>
        (await GetAsync<EttResultList<EttReportStatus>>($"api/reports?organizationId={organizationId}", ct)).Items;

    public async Task<IReadOnlyList<EttContract>> CreateContractsAsync(Guid organizationId, IReadOnlyList<EttNewContract> contracts, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/certificates/contracts?organizationId={organizationId}")
        {
            Content = JsonContent.Create(new { contracts }, options: EttRequest.Json),
        };
        return (await SendAsync<EttResultList<EttContract>>(request, ct)).Items;
    }

    /// <summary>ETT changes end dates with PUT (there is no PATCH) and answers 200 with an empty body.</summary>
    public async Task UpdateContractEndDatesAsync(Guid organizationId, IReadOnlyList<EttContractEndDate> contracts, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/certificates/contracts?organizationId={organizationId}")
        {
            Content = JsonContent.Create(new { contracts }, options: EttRequest.Json),
        };
        using var response = await SendRawAsync(request, ct);
        await EttRequest.EnsureSuccessAsync(response, ct);
    }

    /// <summary>ETT creates one wallet per organization; the list holds zero or one.</summary>
    public async Task<EttWallet?> GetWalletAsync(Guid organizationId, CancellationToken ct) =>
        (await GetAsync<EttPage<EttWallet>>($"wallet-api/wallets?organizationId={organizationId}", ct)).Items.FirstOrDefault();

    public async Task<EttWalletReference> CreateWalletEndpointAsync(Guid organizationId, Guid walletId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"wallet-api/wallets/{walletId}/endpoints?organizationId={organizationId}");
        return (await SendAsync<EttWalletEndpoint>(request, ct)).WalletReference;
    }

    public async Task<Guid> CreateExternalEndpointAsync(Guid organizationId, EttWalletReference walletReference, string textReference, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"wallet-api/external-endpoints?organizationId={organizationId}")
        {
            Content = JsonContent.Create(new { walletReference, textReference }, options: EttRequest.Json),
        };
        return (await SendAsync<EttReceiver>(request, ct)).ReceiverId;
    }

    /// <summary>
    /// A page of ETT's certificates, read from the whole of ETT's answer held in <paramref name="bodies"/>: the
    /// certificates' attributes point into it until <paramref name="bodies"/> is disposed.
    /// </summary>
    public async Task<EttPage<EttCertificate>> GetCertificatesAsync(Guid organizationId, EttCertificateQuery query, EttAnswerBodies bodies, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, CertificatesPath(organizationId, query));
        return await SendAsync(request, static async (body, announced, state, ct) =>
        {
            var (whole, length) = await state.Bodies.ReadAsync(body, announced, ct);
            return EttCertificateListReader.Read(whole, length, state.Limit);
        }, (Bodies: bodies, query.Limit), ct);
    }

    /// <summary>The same list as <see cref="GetCertificatesAsync"/>, read as planning needs it (attributes skipped).</summary>
    public Task<EttPage<EttPlannableCertificate>> GetPlannableCertificatesAsync(Guid organizationId, EttCertificateQuery query, CancellationToken ct) =>
        GetAsync<EttPage<EttPlannableCertificate>>(CertificatesPath(organizationId, query), ct);

    private static string CertificatesPath(Guid organizationId, EttCertificateQuery query) =>
        $"wallet-api/certificates?organizationId={organizationId}" +
        Param("type", query.Type) + Param("start", query.Start) + Param("end", query.End) + Param("limit", query.Limit) +
        Param("skip", query.Skip) + Param("sortBy", query.SortBy) + Param("sort", query.Sort);

    /// <summary>One certificate with its available quantity, as planning reads it; 404 (as a ProblemDetails) when the wallet holds none of it.</summary>
    public Task<EttPlannableCertificate> GetCertificateAsync(Guid organizationId, EttFederatedStreamId certificate, CancellationToken ct) =>
        GetAsync<EttPlannableCertificate>(
            $"wallet-api/certificates/{Uri.EscapeDataString(certificate.Registry)}/{certificate.StreamId}?organizationId={organizationId}", ct);

    public Task<EttPage<EttAggregate>> GetAggregateCertificatesAsync(Guid organizationId, string? type, CancellationToken ct) =>
        GetAsync<EttPage<EttAggregate>>(
            $"wallet-api/aggregate-certificates?organizationId={organizationId}&timeAggregate=Total&timeZone=UTC" + Param("type", type), ct);

    public Task<EttPage<EttClaim>> GetClaimsAsync(Guid organizationId, long? start, long? end, int? limit, int skip, CancellationToken ct) =>
        GetAsync<EttPage<EttClaim>>(
            $"wallet-api/claims?organizationId={organizationId}&timeMatch=All" +
            Param("start", start) + Param("end", end) + Param("limit", limit) + Param("skip", skip), ct);

    public Task<EttPage<EttTransfer>> GetTransfersAsync(Guid organizationId, long? start, long? end, int? limit, int skip, CancellationToken ct) =>
        GetAsync<EttPage<EttTransfer>>(
            $"wallet-api/transfers?organizationId={organizationId}" +
            Param("start", start) + Param("end", end) + Param("limit", limit) + Param("skip", skip), ct);

    public async Task<Guid> PostClaimAsync(Guid organizationId, EttFederatedStreamId production, EttFederatedStreamId consumption, uint quantityWh, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"wallet-api/claims?organizationId={organizationId}")
        {
            Content = JsonContent.Create(new { productionCertificateId = production, consumptionCertificateId = consumption, quantity = quantityWh }, options: EttRequest.Json),
        };
        return (await SendAsync<EttClaimAccepted>(request, ct)).ClaimRequestId;
    }

    /// <summary>ETT's proxy rejects a transfer without <c>hashedAttributes</c>: an empty list shares nothing hashed.</summary>
    public async Task<Guid> PostTransferAsync(Guid organizationId, EttFederatedStreamId certificate, Guid receiverId, uint quantityWh, IReadOnlyList<string> hashedAttributes, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"wallet-api/transfers?organizationId={organizationId}")
        {
            Content = JsonContent.Create(new { certificateId = certificate, receiverId, quantity = quantityWh, hashedAttributes }, options: EttRequest.Json),
        };
        return (await SendAsync<EttTransferAccepted>(request, ct)).TransferRequestId;
    }

    public Task<EttRequestStatus> GetRequestStatusAsync(Guid organizationId, Guid requestId, CancellationToken ct) =>
        GetAsync<EttRequestStatus>($"wallet-api/request-status/{requestId}?organizationId={organizationId}", ct);

    private async Task<T> GetAsync<T>(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync<T>(request, ct);
    }

    /// <summary>Reads ETT's answer as it arrives, without a copy of the whole body first.</summary>
    private Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct) =>
        SendAsync(request, static (body, _, _, ct) => JsonSerializer.DeserializeAsync<T>(body, EttRequest.Json, ct).AsTask(), 0, ct);

    /// <summary>
    /// Sends the request and reads a success's body (with its announced length) with <paramref name="read"/> (null or a
    /// <see cref="JsonException"/>: ETT's answer is not what was expected). The resilience pipelines end with ETT's
    /// headers, so what is left of the call's budget (<see cref="EttResilienceOptions.Timeout"/>) bounds the body in time,
    /// and <see cref="EttResilienceOptions.MaxAnswerBytes"/> in bytes.
    /// </summary>
    private async Task<T> SendAsync<T, TState>(HttpRequestMessage request, Func<Stream, long?, TState, CancellationToken, Task<T?>> read,
        TState state, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        using var response = await SendRawAsync(request, ct, HttpCompletionOption.ResponseHeadersRead);
        var settings = resilience.Value;
        var left = settings.Timeout - time.GetElapsedTime(started);
        // One source for both ends of the read: the budget's timer, and the caller giving up.
        using var budget = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
        using var caller = ct.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), budget);
        try
        {
            await EttRequest.EnsureSuccessAsync(response, budget.Token);
            var announced = response.Content.Headers.ContentLength;
            if (announced > settings.MaxAnswerBytes) throw EttErrors.AnswerTooLong(settings.MaxAnswerBytes);
            await using var stream = await response.Content.ReadAsStreamAsync(budget.Token);
            var body = new LimitedStream(stream, settings.MaxAnswerBytes, () => EttErrors.AnswerTooLong(settings.MaxAnswerBytes));
            return await read(body, announced, state, budget.Token) ?? throw EttErrors.UnreadableBody();
        }
        catch (JsonException unreadable)
        {
            // A proxy's HTML page or a cut-off document is ETT failing, not the gateway.
            throw EttErrors.UnreadableBody(unreadable);
        }
        catch (OperationCanceledException slow) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw EttErrors.TimedOut(slow);
        }
        catch (Exception e) when (EttErrors.FromTransportFailure(e, ct) is { } problem)
        {
            throw problem;
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        try
        {
            return await Http.SendAsync(request, completion, ct);
        }
        catch (Exception e) when (EttErrors.FromTransportFailure(e, ct) is { } problem)
        {
            throw problem;
        }
    }

    private static string Param<T>(string name, T? value) =>
        value is null ? "" : $"&{name}={Uri.EscapeDataString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")}";
}
