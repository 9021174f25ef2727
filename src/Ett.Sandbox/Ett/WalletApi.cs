using System.Security.Cryptography;
using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

internal enum Paging
{
    Offset,
    Cursor,
}

/// <summary>ETT's wallet proxy (<c>/wallet-api</c>): wallets and the endpoints used to set up transfers between wallets.</summary>
internal static class WalletApi
{
    public static void Map(IEndpointRouteBuilder ett)
    {
        var wallet = ett.MapGroup("/wallet-api").AddEndpointFilter(new EttGate(OrganizationCheck.WalletProxy));
        wallet.MapGet("/wallets", GetWallets);
        // ETT's proxy answers wallet creation with NotSupported, so it always fails with an empty 500.
        wallet.MapPost("/wallets", () => EttResults.Empty(StatusCodes.Status500InternalServerError));
        wallet.MapGet("/wallets/{walletId}", GetWallet);
        wallet.MapPost("/wallets/{walletId}/endpoints", CreateWalletEndpoint);
        wallet.MapPost("/external-endpoints", CreateExternalEndpoint);
        CertificatesApi.Map(wallet);
        ClaimsApi.Map(wallet);
        TransfersApi.Map(wallet);
    }

    /// <summary>Runs <paramref name="handle"/> under the state lock with the organization's wallet, or answers as the vault does without one.</summary>
    public static IResult WithWallet(HttpContext http, SandboxState state, Func<Wallet, IResult> handle)
    {
        lock (state.Sync)
        {
            return state.Data.WalletOf(EttGate.OrganizationOf(http)) is { } wallet
                ? handle(wallet)
                : EttResults.WalletError(StatusCodes.Status404NotFound, "You don't own a wallet. Create a wallet first.");
        }
    }

    /// <summary>
    /// Answers a wallet list in ETT's offset (<c>skip</c>, <c>limit</c>) or cursor (<c>updatedSince</c>, <c>limit</c>) form.
    /// The query's filters have been read into <paramref name="matching"/> already; their errors are reported here.
    /// </summary>
    public static IResult Paged<T>(
        HttpContext http, SandboxState state, QueryReader query, Paging paging, Func<Wallet, IEnumerable<T>> matching,
        Func<T, object> wire, Func<T, long> updatedAt)
    {
        var limit = query.Int("limit");
        var skip = paging == Paging.Offset ? query.Int("skip") : null;
        var updatedSince = paging == Paging.Cursor ? query.Long("updatedSince") : null;
        if (query.HasErrors)
        {
            return query.Problem();
        }

        return WithWallet(http, state, wallet =>
        {
            var items = matching(wallet).ToList();
            return EttResults.Ok(paging == Paging.Offset
                ? WalletWire.Page(items.Select(wire).ToList(), skip, limit)
                : WalletWire.CursorPage(items.Select(i => (wire(i), updatedAt(i))).ToList(), updatedSince, limit));
        });
    }

    /// <summary>Orders by the sort key only, as ETT's wallet does: items whose keys tie come in the order <paramref name="ties"/> draws.</summary>
    public static IEnumerable<T> SortedByKeyOnly<T>(Random ties, IEnumerable<T> items, Func<T, long> key, bool descending = false)
    {
        var shuffled = items.Select(item => (Item: item, Tie: ties.Next())).ToList();
        var sorted = descending ? shuffled.OrderByDescending(i => key(i.Item)) : shuffled.OrderBy(i => key(i.Item));
        return sorted.ThenBy(i => i.Tie).Select(i => i.Item);
    }

    private static IResult GetWallets(HttpContext http, SandboxState state)
    {
        lock (state.Sync)
        {
            var wallets = state.Data.WalletOf(EttGate.OrganizationOf(http)) is { } wallet ? new[] { WalletWire.Wallet(wallet) } : [];
            return EttResults.Ok(WalletWire.Page(wallets, skip: null, limit: null));
        }
    }

    private static IResult GetWallet(HttpContext http, SandboxState state, string walletId) =>
        WithWallet(http, state, wallet =>
            Guid.TryParse(walletId, out var id) && id == wallet.Id ? EttResults.Ok(WalletWire.Wallet(wallet)) : EttResults.NotFound(http));

    // Each call derives a new key; the reference's endpoint is the receiving wallet's slices endpoint.
    private static IResult CreateWalletEndpoint(HttpContext http, SandboxState state, string walletId) =>
        WithWallet(http, state, wallet =>
        {
            if (!Guid.TryParse(walletId, out var id) || id != wallet.Id)
            {
                return EttResults.NotFound(http);
            }

            var publicKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(78));
            state.Data.WalletEndpoints[publicKey] = wallet;
            var prefix = http.Request.PathBase + http.Request.Path.Value![..http.Request.Path.Value!.IndexOf("/wallet-api/", StringComparison.Ordinal)];
            var endpoint = $"{http.Request.Scheme}://{http.Request.Host}{prefix}/wallet-api/v1/slices";
            return EttResults.Status(StatusCodes.Status201Created, new { walletReference = new { version = 1, endpoint, publicKey } });
        });

    private static IResult CreateExternalEndpoint(HttpContext http, SandboxState state)
    {
        if (!BodyReader.TryRead<ExternalEndpointBody>(http, out var body, out var error))
        {
            return error;
        }

        var reference = body.WalletReference;
        if (BodyReader.Missing(http,
                ("WalletReference", reference is not null),
                ("TextReference", body.TextReference is not null),
                ("WalletReference.Endpoint", reference?.Endpoint is not null),
                ("WalletReference.PublicKey", reference?.PublicKey is not null)) is { } missing)
        {
            return missing;
        }

        return WithWallet(http, state, wallet =>
        {
            var target = state.Data.WalletEndpoints.GetValueOrDefault(reference!.PublicKey!);
            if (target == wallet)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Cannot create receiver deposit endpoint to self.");
            }

            var receiver = new ExternalEndpoint(Guid.NewGuid(), wallet, body.TextReference!, reference.Endpoint!, reference.PublicKey!, target);
            state.Data.ExternalEndpoints.Add(receiver.Id, receiver);
            return EttResults.Status(StatusCodes.Status201Created, new { receiverId = receiver.Id });
        });
    }

    private sealed class ExternalEndpointBody
    {
        public WalletReference? WalletReference { get; init; }
        public string? TextReference { get; init; }
    }

    private sealed class WalletReference
    {
        public int? Version { get; init; }
        public string? Endpoint { get; init; }
        public string? PublicKey { get; init; }
    }
}
