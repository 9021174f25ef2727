using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>Calls to the sandbox's ETT that several tests need, made the way an ETT client makes them.</summary>
internal static class EttCalls
{
    public static string Org(Guid organizationId) => $"organizationId={organizationId}";

    public static async Task<JsonNode> GetJsonAsync(this HttpClient ett, string uri)
    {
        using var response = await ett.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public static async Task<JsonArray> AvailableCertificatesAsync(this HttpClient ett, Guid organizationId, string type) =>
        (await ett.GetJsonAsync($"wallet-api/certificates?{Org(organizationId)}&type={type}"))["result"]!.AsArray();

    /// <summary>The receiver creates a wallet endpoint; the sender registers it and gets a receiverId.</summary>
    public static async Task<Guid> CreateReceiverAsync(this HttpClient ett, Guid sender, Guid receiver, HttpClient? receiverEtt = null)
    {
        using var endpoint = await (receiverEtt ?? ett).PostAsync($"wallet-api/wallets/{SandboxSeed.WalletIdOf(receiver)}/endpoints?{Org(receiver)}", null);
        Assert.Equal(HttpStatusCode.Created, endpoint.StatusCode);
        var walletReference = JsonNode.Parse(await endpoint.Content.ReadAsStringAsync())!["walletReference"]!;
        using var external = await ett.PostAsJsonAsync($"wallet-api/external-endpoints?{Org(sender)}",
            new { walletReference, textReference = "sandbox test" });
        Assert.Equal(HttpStatusCode.Created, external.StatusCode);
        return JsonNode.Parse(await external.Content.ReadAsStringAsync())!["receiverId"]!.GetValue<Guid>();
    }

    public static Task<HttpResponseMessage> TransferAsync(this HttpClient ett, Guid sender, JsonNode certificate, Guid receiverId, long quantity, params string[] hashedAttributes) =>
        ett.PostAsJsonAsync($"wallet-api/transfers?{Org(sender)}", new
        {
            certificateId = certificate["federatedStreamId"]!.DeepClone(),
            receiverId,
            quantity,
            hashedAttributes,
        });

    public static Task<HttpResponseMessage> ClaimAsync(this HttpClient ett, Guid owner, JsonNode production, JsonNode consumption, long quantity) =>
        ett.PostAsJsonAsync($"wallet-api/claims?{Org(owner)}", new
        {
            productionCertificateId = production["federatedStreamId"]!.DeepClone(),
            consumptionCertificateId = consumption["federatedStreamId"]!.DeepClone(),
            quantity,
        });

    public static async Task<Guid> RequestIdAsync(this HttpResponseMessage accepted, string property)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return JsonNode.Parse(await accepted.Content.ReadAsStringAsync())![property]!.GetValue<Guid>();
    }

    public static async Task<string> RequestStatusAsync(this HttpClient ett, Guid organizationId, Guid requestId) =>
        (await ett.GetJsonAsync($"wallet-api/request-status/{requestId}?{Org(organizationId)}"))["status"]!.GetValue<string>();

    public static async Task<string> BareStringAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.GetValue<string>();
    }
}
