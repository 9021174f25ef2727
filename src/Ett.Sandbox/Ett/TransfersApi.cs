using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

/// <summary>Outgoing transfers and request status; a transfer reserves its quantity in the background, unlike a claim (§8).</summary>
internal static class TransfersApi
{
    public static void Map(IEndpointRouteBuilder wallet)
    {
        wallet.MapGet("/transfers", (HttpContext http, SandboxState state) => List(http, state, Paging.Offset));
        wallet.MapGet("/transfers/cursor", (HttpContext http, SandboxState state) => List(http, state, Paging.Cursor));
        wallet.MapGet("/aggregate-transfers", (HttpContext http, SandboxState state) =>
            Aggregation.Respond(http, state, new QueryReader(http), (wallet, start, end) => Matching(state, wallet, start, end)
                .Select(t => new Aggregation.Entry(t.Certificate.Start, t.Certificate.End, t.Quantity, Type: null))));
        wallet.MapPost("/transfers", Create);
        wallet.MapGet("/request-status/{requestId}", GetRequestStatus);
    }

    private static IResult List(HttpContext http, SandboxState state, Paging paging)
    {
        var query = new QueryReader(http);
        var (start, end) = (query.Long("start"), query.Long("end"));
        return WalletApi.Paged(http, state, query, paging, wallet => Matching(state, wallet, start, end), WalletWire.Transfer, t => t.UpdatedAt);
    }

    private static IEnumerable<TransferRecord> Matching(SandboxState state, Wallet wallet, long? start, long? end) =>
        state.Data.Transfers.Where(t => t.Sender == wallet
            && (start is null || t.Certificate.Start >= start)
            && (end is null || t.Certificate.End <= end));

    private static IResult Create(HttpContext http, SandboxState state)
    {
        if (!BodyReader.TryRead<TransferBody>(http, out var body, out var error))
        {
            return error;
        }

        // The proxy rejects a body that lacks any required property, hashedAttributes included.
        if (BodyReader.Missing(http,
                ("CertificateId", body.CertificateId?.StreamId is not null && body.CertificateId.Registry is not null),
                ("ReceiverId", body.ReceiverId is not null),
                ("Quantity", body.Quantity is > 0),
                ("HashedAttributes", body.HashedAttributes is not null)) is { } missing)
        {
            return missing;
        }

        return WalletApi.WithWallet(http, state, wallet =>
        {
            if (!wallet.Holdings.TryGetValue(body.CertificateId!.StreamId!.Value, out var holding) || holding.Certificate.Registry != body.CertificateId.Registry)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Certificate not found.");
            }

            var quantity = (long)body.Quantity!.Value;
            if (holding.Available < quantity)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Quantity is larger than the available quantity on the certificate.");
            }

            if (!state.Data.ExternalEndpoints.TryGetValue(body.ReceiverId!.Value, out var receiver) || receiver.Owner != wallet)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Receiver not found.");
            }

            var request = new RequestRecord(Guid.NewGuid(), wallet.OrganizationId);
            state.Data.RequestStatuses.Add(request.Id, request);
            var hashedAttributes = body.HashedAttributes!.ToList();
            state.Enqueue(data =>
            {
                if (holding.Available < quantity)
                {
                    request.Status = RequestStatus.Failed;
                    return;
                }

                data.CompleteTransfer(holding, holding.Reserve(quantity), receiver, hashedAttributes, state.Now);
                request.Status = RequestStatus.Completed;
            });
            return EttResults.Accepted(http, "transferRequestId", request.Id);
        });
    }

    private static IResult GetRequestStatus(HttpContext http, SandboxState state, string requestId)
    {
        var organizationId = EttGate.OrganizationOf(http);
        lock (state.Sync)
        {
            return Guid.TryParse(requestId, out var id)
                && state.Data.RequestStatuses.TryGetValue(id, out var request)
                && request.OrganizationId == organizationId
                    ? EttResults.Ok(new { status = request.Status })
                    : EttResults.NotFound(http);
        }
    }

    private sealed class TransferBody
    {
        public StreamIdBody? CertificateId { get; init; }
        public Guid? ReceiverId { get; init; }
        public uint? Quantity { get; init; }
        public List<string>? HashedAttributes { get; init; }
    }
}
