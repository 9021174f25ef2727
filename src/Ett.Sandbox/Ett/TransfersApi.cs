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
        return WalletApi.Paged(http, state, query, paging,
            wallet => WalletApi.SortedByKeyOnly(state.RowTieOrder(), Matching(state, wallet, start, end), t => t.UpdatedAt), WalletWire.Transfer, t => t.UpdatedAt);
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
            var id = body.CertificateId!;
            if (state.Data.FindCertificate(id.Registry, id.StreamId!.Value) is null)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, $"Unknown certificate. Registry {id.Registry} and id {id.StreamId}.");
            }

            // PW TransfersController: the synchronous check counts registering and available quantity.
            var holding = wallet.Holdings.GetValueOrDefault(id.StreamId!.Value);
            var quantity = (long)body.Quantity!.Value;
            var willBeAvailable = holding?.RegisteringAndAvailable ?? 0;
            if (holding is null || willBeAvailable < quantity)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest,
                    $"Transfer is not allowed. Certificate does not have enough quantity to transfer requested amount. Certificate amount: {willBeAvailable}. Requested claim quantity: {quantity}.");
            }

            if (!state.Data.ExternalEndpoints.TryGetValue(body.ReceiverId!.Value, out var receiver) || receiver.Owner != wallet)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, $"Unknown receiver. Receiver with id {body.ReceiverId} does not exist.");
            }

            var request = new RequestRecord(Guid.NewGuid(), wallet.OrganizationId, RequestKind.Transfer, quantity);
            state.Data.RequestStatuses.Add(request.Id, request);
            var hashedAttributes = body.HashedAttributes!.ToList();
            state.Enqueue(data => Reserve(state, data, request, holding, receiver, hashedAttributes));
            return EttResults.Accepted(http, "transferRequestId", request.Id);
        });
    }

    /// <summary>
    /// PW TransferCertificateCommandHandler: reserves whole slices, then sends one slice message per slice. The request
    /// reads <c>completed</c> once its first slice has moved; the other slices move in later steps.
    /// </summary>
    private static void Reserve(
        SandboxState state, LedgerData data, RequestRecord request, Holding holding, ExternalEndpoint receiver, List<string> hashedAttributes)
    {
        var reserved = holding.Reserve(request.Quantity);
        if (reserved is null)
        {
            if (holding.RegisteringAndAvailable >= request.Quantity)
            {
                // QuantityNotYetAvailableToReserveException: the wallet retries once the registering slices are in.
                state.Enqueue(again => Reserve(state, again, request, holding, receiver, hashedAttributes));
            }
            else
            {
                request.Status = RequestStatus.Failed;
            }

            return;
        }

        var remainder = request.Quantity;
        var first = true;
        foreach (var slice in reserved)
        {
            var quantity = Math.Min(slice.Quantity, remainder);
            remainder -= quantity;
            if (first)
            {
                Move(state, data, request, holding, slice, quantity, receiver, hashedAttributes, first: true);
                first = false;
            }
            else
            {
                state.Enqueue(later => Move(state, later, request, holding, slice, quantity, receiver, hashedAttributes, first: false));
            }
        }
    }

    private static void Move(
        SandboxState state, LedgerData data, RequestRecord request, Holding holding, Slice slice, long quantity, ExternalEndpoint receiver,
        List<string> hashedAttributes, bool first)
    {
        var (record, received, receivedSlice) = data.TransferSlice(holding, slice, quantity, request.Id, receiver, hashedAttributes, state.Now);
        if (first)
        {
            request.Status = record.State == TransferState.Failed ? RequestStatus.Failed : RequestStatus.Completed;
        }

        if (received is not null && receivedSlice is not null)
        {
            // The receiving wallet registers the slice before it counts as available.
            state.Enqueue(registered =>
            {
                receivedSlice.State = SliceState.Available;
                received.UpdatedAt = record.UpdatedAt = state.Now;
                record.State = TransferState.Completed;
                registered.RowVersion++;
            });
        }
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
