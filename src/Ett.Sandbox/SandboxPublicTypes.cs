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
/// <param name="SecretKeyId">For a token request that was granted: the <c>keyId</c> of the client secret it used (never the secret).</param>
public sealed record EttRequest(string Method, string Path, string QueryString, string? ApiVersion, bool HasAuthorization, string? Body, Guid? SecretKeyId = null);

/// <summary>One of an ETT client's secrets as ETT's credentials API lists it: no value.</summary>
/// <param name="KeyId">The secret's id, for deleting it.</param>
/// <param name="Hint">The value's first three characters.</param>
/// <param name="Start">Valid from.</param>
/// <param name="End">Valid until (exclusive).</param>
public sealed record SandboxClientSecret(Guid KeyId, string Hint, DateTimeOffset Start, DateTimeOffset End);

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

/// <summary>One wallet as the sandbox's ledger holds it: every slice in every state, every moved slice, every request.</summary>
/// <param name="OrganizationId">Owner of the wallet.</param>
/// <param name="WalletId">The wallet.</param>
/// <param name="Certificates">Every certificate the wallet holds or held a slice of.</param>
/// <param name="Transfers">Every slice this wallet sent, one row per slice (as ETT's transfer list), failed ones included.</param>
/// <param name="Claims">Every claimed slice pair (as ETT's claim list).</param>
/// <param name="Requests">Every transfer and claim request the wallet accepted, with ETT's request id and status.</param>
public sealed record SandboxWalletLedger(
    Guid OrganizationId, Guid WalletId, IReadOnlyList<SandboxHolding> Certificates, IReadOnlyList<SandboxTransferredSlice> Transfers,
    IReadOnlyList<SandboxClaimedSlices> Claims, IReadOnlyList<SandboxRequest> Requests);

/// <summary>A wallet's slices of one certificate.</summary>
/// <param name="Registry">Registry of the federated stream id.</param>
/// <param name="StreamId">Certificate id.</param>
/// <param name="Type">Production or consumption.</param>
/// <param name="Start">Start, unix seconds.</param>
/// <param name="End">End, unix seconds.</param>
/// <param name="Slices">The slices, in every state.</param>
public sealed record SandboxHolding(string Registry, Guid StreamId, SandboxCertificateType Type, long Start, long End, IReadOnlyList<SandboxSlice> Slices);

/// <summary>One slice: its quantity in Wh and its state (<c>available</c>, <c>registering</c>, <c>reserved</c>, <c>claimed</c>, <c>transferred</c>).</summary>
/// <param name="Id">Slice id.</param>
/// <param name="QuantityWh">Quantity in Wh.</param>
/// <param name="State">Lowercase state name.</param>
public sealed record SandboxSlice(Guid Id, long QuantityWh, string State);

/// <summary>One slice sent to a receiver.</summary>
/// <param name="RequestId">ETT's transferRequestId (empty for the seed's transfers).</param>
/// <param name="SliceId">The transferred slice.</param>
/// <param name="StreamId">Certificate id.</param>
/// <param name="ReceiverId">The receiver (external endpoint) id.</param>
/// <param name="QuantityWh">Quantity in Wh.</param>
/// <param name="State"><c>transferring</c>, <c>completed</c> or <c>failed</c>.</param>
public sealed record SandboxTransferredSlice(Guid RequestId, Guid SliceId, Guid StreamId, Guid ReceiverId, long QuantityWh, string State);

/// <summary>One claimed pair of slices.</summary>
/// <param name="RequestId">ETT's claimRequestId.</param>
/// <param name="ClaimId">The claim row's id.</param>
/// <param name="ProductionStreamId">Production certificate id.</param>
/// <param name="ConsumptionStreamId">Consumption certificate id.</param>
/// <param name="QuantityWh">Quantity in Wh.</param>
public sealed record SandboxClaimedSlices(Guid RequestId, Guid ClaimId, Guid ProductionStreamId, Guid ConsumptionStreamId, long QuantityWh);

/// <summary>One transfer or claim request.</summary>
/// <param name="RequestId">ETT's request id.</param>
/// <param name="Kind"><c>transfer</c> or <c>claim</c>.</param>
/// <param name="QuantityWh">Requested quantity in Wh.</param>
/// <param name="Status"><c>pending</c>, <c>completed</c> or <c>failed</c>.</param>
public sealed record SandboxRequest(Guid RequestId, string Kind, long QuantityWh, string Status);
