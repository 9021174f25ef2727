using System.Net;
using Microsoft.Net.Http.Headers;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Attaches the ETT token to requests the gateway builds. On ETT's 401 (token revoked or expired early), or a 403 for
/// an organization the token lacks but a newer consent list holds (<see cref="EttCredentials.IsStaleForAsync"/>),
/// renews the token once and retries once.
/// </summary>
internal sealed class EttAuthenticationHandler(EttCredentials credentials) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(EttRequest.ClientName, out var clientName);
        var organization = EttRequest.OrganizationOf(request.RequestUri?.Query);

        var token = await credentials.ForRequestAsync(clientName, organization, cancellationToken);
        var response = await SendWithAsync(token, request, cancellationToken);

        var stale = response.StatusCode == HttpStatusCode.Unauthorized ||
            (response.StatusCode == HttpStatusCode.Forbidden && organization is { } org &&
             await credentials.IsStaleForAsync(token, org, cancellationToken));
        if (!stale) return response;

        response.Dispose();
        token = await credentials.RenewAsync(token, cancellationToken);
        return await SendWithAsync(token, request, cancellationToken);
    }

    private Task<HttpResponseMessage> SendWithAsync(EttAccessToken token, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(HeaderNames.Authorization);
        request.Headers.TryAddWithoutValidation(HeaderNames.Authorization, token.AuthorizationHeader);
        return base.SendAsync(request, cancellationToken);
    }
}
