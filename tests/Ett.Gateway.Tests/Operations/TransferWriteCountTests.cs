using System.Net;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Tests.Operations.Store;
using Microsoft.Extensions.DependencyInjection;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

/// <summary>
/// What an accepted transfer costs the journal, which every instance's writers queue for: its write transactions are
/// counted, so that one more per request (there used to be a lease renewal before each leg) shows here first.
/// </summary>
public sealed class TransferWriteCountTests : IAsyncLifetime
{
    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    private OperationsSandbox env = null!;

    public async Task InitializeAsync() => env = await OperationsSandbox.StartAsync();

    public async Task DisposeAsync() => await env.DisposeAsync();

    [Fact]
    public async Task An_accepted_one_leg_transfer_writes_five_times_of_which_only_the_legs_intent_waits_for_the_disk()
    {
        CountingDatabase? database = null;
        env.StartGateway(services =>
        {
            var store = services.Single(service => service.ServiceType == typeof(StoreDatabase));
            services.Remove(store);
            services.AddSingleton<StoreDatabase>(provider => database = new CountingDatabase((StoreDatabase)store.ImplementationFactory!(provider)));
        });
        var caller = await env.CallerAsync();
        var body = new { partnerOrganizationId = Trader, quantityWh = 1 };
        // The first registers the partner; the second is what every later transfer costs.
        Assert.Equal(HttpStatusCode.Accepted, (await caller.SendAsync(Post(Transfers, body, "first"))).StatusCode);
        var (writes, durable) = (database!.Writes, database.DurableTransactions);

        var accepted = await caller.SendAsync(Post(Transfers, body, "second"));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("submitted", (await JsonOf(accepted)).GetProperty("legs")[0].GetProperty("status").GetString());
        // The key begun, the reservation, the leg's intent and its submission, the key's response with the audit record.
        Assert.Equal(5, database.Writes - writes);
        Assert.Equal(1, database.DurableTransactions - durable);
        var operationId = Guid.Parse((await JsonOf(accepted)).GetProperty("operationId").GetString()!);
        var trail = await env.Gateway.Services.GetRequiredService<IAuditStore>()
            .ListAsync(new AuditQuery(Producer, null, "TransferToPartner", null, null, 10, null), CancellationToken.None);
        var record = Assert.Single(trail, record => record.OperationId == operationId);
        Assert.Equal((202, "succeeded", 1L), (record.Status, record.Outcome, record.QuantityWh));
    }
}
