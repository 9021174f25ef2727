using Ett.Gateway.Upstream;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// What a proxied request's response transforms need from its request transforms, in one <c>HttpContext.Items</c>
/// entry per request: the token and pinned version sent (<see cref="EttCredentialsTransform"/>) and when the call to
/// ETT started (<see cref="Observability.EttCallMetrics"/>).
/// </summary>
internal sealed class PassthroughCall
{
    private static readonly object Key = new();

    public long? StartedTimestamp { get; set; }

    public EttAccessToken? Token { get; set; }

    public ApiGroup? Group { get; set; }

    public string Version { get; set; } = "";

    /// <summary>The request's entry, made by the first transform that asks.</summary>
    public static PassthroughCall Of(HttpContext http)
    {
        if (Find(http) is { } call) return call;
        http.Items[Key] = call = new PassthroughCall();
        return call;
    }

    public static PassthroughCall? Find(HttpContext http) =>
        http.Items.TryGetValue(Key, out var found) ? found as PassthroughCall : null;
}
