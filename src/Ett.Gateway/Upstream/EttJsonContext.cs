using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Source-generated readers of the ETT answers <see cref="EttClient"/> reads: no reflection per type, and nothing to
/// generate at run time when a type is first read. <see cref="EttRequest.Json"/> falls back to reflection for the rest.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EttResultList<Consent>))]
[JsonSerializable(typeof(EttResultList<EttCredential>))]
[JsonSerializable(typeof(EttCreatedCredential))]
[JsonSerializable(typeof(EttMeteringPointList))]
[JsonSerializable(typeof(EttResultList<EttContract>))]
[JsonSerializable(typeof(EttResultList<EttReportStatus>))]
[JsonSerializable(typeof(EttPage<EttWallet>))]
[JsonSerializable(typeof(EttWalletEndpoint))]
[JsonSerializable(typeof(EttReceiver))]
[JsonSerializable(typeof(EttPage<EttPlannableCertificate>))]
[JsonSerializable(typeof(EttPlannableCertificate))]
[JsonSerializable(typeof(EttPage<EttAggregate>))]
[JsonSerializable(typeof(EttPage<EttClaim>))]
[JsonSerializable(typeof(EttPage<EttTransfer>))]
[JsonSerializable(typeof(EttClaimAccepted))]
[JsonSerializable(typeof(EttTransferAccepted))]
[JsonSerializable(typeof(EttRequestStatus))]
internal sealed partial class EttJsonContext : JsonSerializerContext;
