namespace Ett.Sandbox;

/// <summary>Certificate type; the numbers are the wallet's (ETT accepts <c>type=1</c>/<c>type=2</c> as well as the names).</summary>
public enum SandboxCertificateType
{
    /// <summary>Consumption certificate.</summary>
    Consumption = 1,

    /// <summary>Production certificate.</summary>
    Production = 2,
}

/// <summary>One request the simulated ETT received (token requests are logged without their body, which holds the secret).</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Full request path as received, e.g. <c>/sandbox/ett/wallet-api/wallets</c>.</param>
/// <param name="QueryString">Raw query string including the leading <c>?</c>, or empty.</param>
/// <param name="ApiVersion">Value of <c>X-API-Version</c>, or null when absent.</param>
/// <param name="HasAuthorization">Whether an <c>Authorization</c> header was present.</param>
/// <param name="Body">Request body text, or null when there was none.</param>
public sealed record EttRequest(string Method, string Path, string QueryString, string? ApiVersion, bool HasAuthorization, string? Body);

/// <summary>A wallet's view of one certificate, for assertions in tests.</summary>
/// <param name="Registry">Registry of the federated stream id.</param>
/// <param name="StreamId">Certificate id.</param>
/// <param name="Type">Production or consumption.</param>
/// <param name="Start">Start, unix seconds.</param>
/// <param name="End">End, unix seconds.</param>
/// <param name="GridArea">Bidding zone, DK1 or DK2.</param>
/// <param name="AvailableWh">Available quantity in Wh (0 when all of it is reserved, claimed or transferred).</param>
/// <param name="Attributes">Clear-text attributes plus the hashed ones this wallet holds.</param>
public sealed record SandboxCertificate(
    string Registry, Guid StreamId, SandboxCertificateType Type, long Start, long End, string GridArea, long AvailableWh,
    IReadOnlyDictionary<string, string> Attributes);
