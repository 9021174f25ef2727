namespace Ett.Gateway.Errors;

/// <summary>Stable RFC 9457 <c>type</c> URIs: callers branch on these, never on titles or details.</summary>
public static class ProblemTypes
{
    private const string Base = "https://ett-gateway/problems/";

    /// <summary>The request (or ETT's verdict on it) names invalid fields; see <c>errors</c>.</summary>
    public const string Validation = Base + "validation";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";

    /// <summary>ETT refused access to the organization: no consent (yet, in the token), or the client lacks e.g. trial status.</summary>
    public const string NotConsented = Base + "not-consented";

    /// <summary>ETT refused the request itself; the status says whether the caller can fix it (400) or not (502).</summary>
    public const string UpstreamRejected = Base + "upstream-rejected";

    /// <summary>ETT failed, timed out, could not be reached, or refused the gateway's own token.</summary>
    public const string UpstreamUnavailable = Base + "upstream-unavailable";

    /// <summary>ETT no longer accepts the pinned <c>X-API-Version</c>: a gateway configuration problem, not the caller's.</summary>
    public const string UpstreamVersionUnsupported = Base + "upstream-version-unsupported";

    /// <summary>
    /// ETT refused to create or change a contract for a consented organization: only trial clients may (ETT answers an
    /// empty 403 for both this and a missing consent; the gateway tells them apart with the consent list).
    /// </summary>
    public const string ContractNotAllowed = Base + "contract-not-allowed";

    /// <summary>The contract would overlap another contract of the metering point (or an active one exists).</summary>
    public const string ContractOverlap = Base + "contract-overlap";

    /// <summary>The metering point cannot be used for issuing certificates, so ETT refuses a contract for it.</summary>
    public const string MeteringPointCannotIssue = Base + "metering-point-cannot-issue";

    /// <summary>The caller sent more requests than its rate limit allows (429); retry after <c>Retry-After</c>.</summary>
    public const string RateLimited = Base + "rate-limited";

    /// <summary>The request body is larger than the endpoint accepts (413).</summary>
    public const string BodyTooLarge = Base + "body-too-large";

    /// <summary>The request's headers are larger than the gateway accepts (431).</summary>
    public const string HeadersTooLarge = Base + "headers-too-large";

    public const string UpstreamTokenUnavailable = Base + "upstream-token-unavailable";
    public const string Internal = Base + "internal";

    /// <summary>A POST that starts an operation came without a usable <c>Idempotency-Key</c> header (400).</summary>
    public const string IdempotencyKeyRequired = Base + "idempotency-key-required";

    /// <summary>The <c>Idempotency-Key</c> is still being worked on by an earlier request (409); retry after <c>Retry-After</c>.</summary>
    public const string IdempotencyKeyInFlight = Base + "idempotency-key-in-flight";

    /// <summary>The <c>Idempotency-Key</c> was already used with a different request (422).</summary>
    public const string IdempotencyKeyReused = Base + "idempotency-key-reused";

    /// <summary>Not enough available certificate quantity for the request (422); <c>availableWh</c> says how much there is.</summary>
    public const string InsufficientQuantity = Base + "insufficient-quantity";
}
