namespace Ett.Gateway.Errors;

/// <summary>Stable RFC 9457 <c>type</c> URIs: callers branch on these, never on titles or details.</summary>
public static class ProblemTypes
{
    private const string Base = "https://ett-gateway/problems/";

    public const string Validation = Base + "validation";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";
    public const string NotConsented = Base + "not-consented";
    public const string UpstreamRejected = Base + "upstream-rejected";
    public const string UpstreamUnavailable = Base + "upstream-unavailable";
    public const string UpstreamTokenUnavailable = Base + "upstream-token-unavailable";
    public const string Internal = Base + "internal";
}
