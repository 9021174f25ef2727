using Ett.Gateway.Features;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Wallet;

public static class WalletExtensions
{
    public static IEndpointRouteBuilder MapWallet(this IEndpointRouteBuilder app)
    {
        var group = app.MapOrganizationGroup("/wallet")
            .WithTags("Wallet")
            .ProducesUpstreamProblems();

        group.MapGet("", GetAsync)
            .RequireAuthorization(CallerPolicies.Read)
            .WithName("GetWallet")
            .WithSummary("Get the organization's wallet")
            .WithDescription("The organization's ETT wallet (ETT creates one per organization): its id, public key, whether "
                + "it is disabled, and the production and consumption quantity available in it, in Wh.")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no wallet in ETT ({ProblemTypes.NotFound}).")
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"organizationId is not a GUID ({ProblemTypes.Validation}).")
            .WithResponseExample(StatusCodes.Status200OK, "The wallet and its available quantities.", WalletExample);

        group.MapPost("/receive-endpoints", CreateReceiveEndpointAsync)
            .RequireAuthorization(CallerPolicies.Contracts)
            .WithName("CreateReceiveEndpoint")
            .WithSummary("Create an endpoint to receive certificates")
            .WithDescription("Creates a new endpoint on the organization's wallet and returns its `walletReference`. Give it "
                + "to an external partner: their wallet registers it (ETT: POST external-endpoints) and can then transfer "
                + "certificates to us. Every call creates a new endpoint with its own key. A disabled wallet answers 400.")
            .WithProblemResponse(StatusCodes.Status400BadRequest,
                $"ETT refused, e.g. because the wallet is disabled ({ProblemTypes.UpstreamRejected}); `detail` has ETT's reason.")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no wallet in ETT ({ProblemTypes.NotFound}).")
            .WithResponseExample(StatusCodes.Status201Created, "The new endpoint's walletReference, to give to the partner.", ReceiveEndpointExample);
        return app;
    }

    /// <summary>Two ETT calls, made together: the wallet, and the available quantity totalled per type in one aggregate.</summary>
    private static async Task<Ok<WalletView>> GetAsync(Guid organizationId, EttClient ett, CancellationToken ct)
    {
        var walletCall = ett.GetWalletAsync(organizationId, ct);
        var totalsCall = ett.GetAggregateCertificatesAsync(organizationId, type: null, ct);
        try
        {
            await Task.WhenAll(walletCall, totalsCall);
        }
        catch (GatewayProblemException) when (walletCall.IsCompletedSuccessfully && walletCall.Result is null)
        {
            // Without a wallet ETT answers the aggregate with 404 "You don't own a wallet": say so once, plainly.
        }

        var wallet = await walletCall ?? throw NoWallet(organizationId);
        // Without a type filter the wallet groups Total buckets by certificate type: one bucket per type it holds.
        var totals = (await totalsCall).Items;
        return TypedResults.Ok(new WalletView
        {
            WalletId = wallet.Id,
            PublicKey = wallet.PublicKey ?? "",
            Disabled = wallet.DisabledDate is not null,
            DisabledAt = wallet.DisabledDate is { } disabled ? DateTimeOffset.FromUnixTimeSeconds(disabled) : null,
            AvailableProductionWh = Total(totals, "production"),
            AvailableConsumptionWh = Total(totals, "consumption"),
        });
    }

    /// <summary>ETT needs the wallet id in the path, so two calls: GET wallets, then POST wallets/{id}/endpoints.</summary>
    private static async Task<Created<ReceiveEndpoint>> CreateReceiveEndpointAsync(Guid organizationId, EttClient ett, CancellationToken ct)
    {
        var wallet = await ett.GetWalletAsync(organizationId, ct) ?? throw NoWallet(organizationId);
        var reference = await ett.CreateWalletEndpointAsync(organizationId, wallet.Id, ct);
        return TypedResults.Created((string?)null, new ReceiveEndpoint
        {
            WalletReference = new WalletReference { Version = reference.Version, Endpoint = reference.Endpoint, PublicKey = reference.PublicKey },
        });
    }

    private static long Total(IReadOnlyList<EttAggregate> buckets, string type) =>
        buckets.Where(b => string.Equals(b.Type, type, StringComparison.OrdinalIgnoreCase)).Sum(b => b.Quantity);

    private static GatewayProblemException NoWallet(Guid organizationId) =>
        new(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found in ETT",
            $"ETT has no wallet for organization {organizationId}.");

    private static readonly WalletView WalletExample = new()
    {
        WalletId = new Guid("3a11e700-0000-4000-8000-000000000002"),
        PublicKey = "Ahx1bX0yV3ZtQ2Nk...",
        Disabled = false,
        DisabledAt = null,
        AvailableProductionWh = 48_250_000,
        AvailableConsumptionWh = 61_900_500,
    };

    private static readonly ReceiveEndpoint ReceiveEndpointExample = new()
    {
        WalletReference = new WalletReference
        {
            Version = 1,
            Endpoint = "https://demo.energytrackandtrace.dk/wallet-api/v1/slices",
            PublicKey = "Ak2Vh0bWZ4ZVN1cmVQdWJsaWNLZXk...",
        },
    };
}
