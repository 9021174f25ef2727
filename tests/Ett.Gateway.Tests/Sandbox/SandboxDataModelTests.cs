using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// ETT's own data model, as its source shows it (project-origin/wallet = PW, Energinet-DataHub/energy-origin = EO):
/// certificates held as slices, one list row per moved slice, pages ordered by the sort key only.
/// </summary>
public sealed class SandboxDataModelTests : SandboxTestBase
{
    [Fact]
    public void Seed_trader_holds_each_bought_certificate_as_two_slices_received_in_pieces()
    {
        var trader = Server.State.Ledger(TraderOrganizationId)!;

        Assert.NotEmpty(trader.Certificates);
        Assert.All(trader.Certificates, c => Assert.Equal(2, c.Slices.Count(s => s.State == "available")));
    }

    [Fact]
    public void Seed_has_an_organization_with_more_than_1000_available_production_certificates_whose_ends_tie()
    {
        var certificates = Server.State.CertificatesOf(LargeProducerOrganizationId).Where(c => c.Type == SandboxCertificateType.Production && c.AvailableWh > 0).ToList();

        Assert.Equal(LargeProducerTurbines * LargeProducerHours, certificates.Count);
        Assert.True(certificates.Count > 1000);
        Assert.All(certificates.GroupBy(c => c.End), ends => Assert.Equal(LargeProducerTurbines, ends.Count()));
    }

    [Fact]
    public async Task Transfer_list_has_one_row_per_transferred_slice_PW_transfers_query_model()
    {
        var receiverId = await Ett.CreateReceiverAsync(TraderOrganizationId, ConsumerOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(TraderOrganizationId, "production"))[0]!;
        var slices = SlicesOf(TraderOrganizationId, certificate, "available");
        var all = certificate["quantity"]!.GetValue<long>();

        using var accepted = await Ett.TransferAsync(TraderOrganizationId, certificate, receiverId, all);
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var rows = (await Ett.GetJsonAsync($"wallet-api/transfers?{Org(TraderOrganizationId)}"))["result"]!.AsArray()
            .Where(t => t!["receiverId"]!.GetValue<string>() == receiverId.ToString())
            .Select(t => t!["quantity"]!.GetValue<long>())
            .Order()
            .ToList();
        Assert.Equal(slices.Order(), rows);
        Assert.DoesNotContain(all, rows);
    }

    [Fact]
    public async Task Transfer_reserves_whole_slices_smallest_first_and_splits_the_last_PW_CertificateRepository_ReserveQuantity()
    {
        var receiverId = await Ett.CreateReceiverAsync(TraderOrganizationId, ConsumerOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(TraderOrganizationId, "production"))[0]!;
        var smallest = SlicesOf(TraderOrganizationId, certificate, "available").Min();
        var all = certificate["quantity"]!.GetValue<long>();

        using var accepted = await Ett.TransferAsync(TraderOrganizationId, certificate, receiverId, smallest + 100);
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var sent = Server.State.Ledger(TraderOrganizationId)!.Transfers.Where(t => t.ReceiverId == receiverId).Select(t => t.QuantityWh).ToList();
        Assert.Equal([smallest, 100], sent);
        Assert.Equal([all - smallest - 100], SlicesOf(TraderOrganizationId, certificate, "available"));
    }

    [Fact]
    public async Task Multi_slice_transfer_request_is_completed_at_its_first_slice_and_the_rest_moves_later()
    {
        var receiverId = await Ett.CreateReceiverAsync(TraderOrganizationId, ConsumerOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(TraderOrganizationId, "production"))[0]!;
        var all = certificate["quantity"]!.GetValue<long>();
        Guid requestId;
        string afterFirstSlice;
        int rowsAfterFirstSlice;
        using (Server.State.PauseProcessing())
        {
            using var accepted = await Ett.TransferAsync(TraderOrganizationId, certificate, receiverId, all);
            requestId = await accepted.RequestIdAsync("transferRequestId");
            await Server.State.StepAsync();
            afterFirstSlice = await Ett.RequestStatusAsync(TraderOrganizationId, requestId);
            rowsAfterFirstSlice = TransferRows(receiverId).Count;
        }

        await Server.State.WhenIdleAsync();

        Assert.Equal("completed", afterFirstSlice);
        Assert.Equal(1, rowsAfterFirstSlice);
        Assert.Equal(2, TransferRows(receiverId).Count);
        Assert.Equal(all, TransferRows(receiverId).Sum(t => t.QuantityWh));
    }

    [Fact]
    public async Task Failed_slice_stays_in_the_transfer_list_PW_transfers_query_model_has_no_state_filter()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        Server.State.RejectSlicesTo(receiverId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        var before = certificate["quantity"]!.GetValue<long>();

        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
        var requestId = await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        Assert.Equal("failed", await Ett.RequestStatusAsync(ProducerOrganizationId, requestId));
        var listed = Assert.Single((await Ett.GetJsonAsync($"wallet-api/transfers?{Org(ProducerOrganizationId)}"))["result"]!.AsArray(),
            t => t!["receiverId"]!.GetValue<string>() == receiverId.ToString())!;
        Assert.Equal(1000, listed["quantity"]!.GetValue<long>());
        Assert.Equal("failed", Assert.Single(TransferRows(receiverId)).State);
        Assert.Equal(before, (await GetCertificateAsync(ProducerOrganizationId, certificate))["quantity"]!.GetValue<long>());
    }

    [Fact]
    public async Task Claim_list_has_one_row_per_claimed_slice_pair_PW_ClaimCertificateCommandHandler()
    {
        // The consumer buys a second piece of one wind certificate, so it holds it as two slices.
        var toConsumer = await Ett.CreateReceiverAsync(ProducerOrganizationId, ConsumerOrganizationId);
        var bought = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "production"))[0]!;
        using (var second = await Ett.TransferAsync(ProducerOrganizationId, bought, toConsumer, 7000))
        {
            await second.RequestIdAsync("transferRequestId");
        }

        await Server.State.WhenIdleAsync();
        var production = await GetCertificateAsync(ConsumerOrganizationId, bought);
        var consumption = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "consumption"))
            .First(c => c!["start"]!.GetValue<long>() == production["start"]!.GetValue<long>() && c["gridArea"]!.GetValue<string>() == "DK1")!;
        var quantity = Math.Min(production["quantity"]!.GetValue<long>(), consumption["quantity"]!.GetValue<long>());
        Assert.True(quantity > 7000, "the claim must need both production slices");

        using var accepted = await Ett.ClaimAsync(ConsumerOrganizationId, production, consumption, quantity);
        var requestId = await accepted.RequestIdAsync("claimRequestId");
        await Server.State.WhenIdleAsync();

        var rows = (await Ett.GetJsonAsync($"wallet-api/claims?{Org(ConsumerOrganizationId)}"))["result"]!.AsArray();
        Assert.Equal(2, rows.Count);
        Assert.Equal(quantity, rows.Sum(r => r!["quantity"]!.GetValue<long>()));
        Assert.All(Server.State.Ledger(ConsumerOrganizationId)!.Claims, c => Assert.Equal(requestId, c.RequestId));
    }

    [Fact]
    public async Task Certificate_pages_order_by_end_only_and_ties_come_back_in_another_order_on_each_call_PW_CertificateRepository()
    {
        using var large = await Server.CreateEttClientAsync(ThirdEttClientId, ThirdEttClientSecret);
        var uri = $"wallet-api/certificates?{Org(LargeProducerOrganizationId)}&type=production";

        var first = Ids((await large.GetJsonAsync(uri))["result"]!.AsArray(), out var firstEnds);
        var second = Ids((await large.GetJsonAsync(uri))["result"]!.AsArray(), out var secondEnds);

        Assert.Equal(firstEnds.Order(), firstEnds);
        Assert.Equal(firstEnds, secondEnds);
        Assert.Equal(first.Order(), second.Order());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Tied_transfer_rows_keep_one_order_until_a_row_is_written_PW_TransferRepository_QueryTransfers()
    {
        var uri = $"wallet-api/transfers?{Org(ProducerOrganizationId)}";
        var first = Rows((await Ett.GetJsonAsync(uri))["result"]!.AsArray());
        var again = Rows((await Ett.GetJsonAsync(uri))["result"]!.AsArray());
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, ClientOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        using (var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000))
        {
            await accepted.RequestIdAsync("transferRequestId");
        }

        await Server.State.WhenIdleAsync();
        var afterWrite = Rows((await Ett.GetJsonAsync(uri))["result"]!.AsArray()).Where(first.Contains).ToList();

        Assert.Equal(first, again);
        Assert.Equal(first.Order(), afterWrite.Order());
        Assert.NotEqual(first, afterWrite);
    }

    [Fact]
    public async Task Tie_order_repeats_for_the_same_seed_instant_so_a_failing_run_reproduces()
    {
        await using var twin = await SandboxServer.StartAsync();
        using var twinEtt = await twin.CreateEttClientAsync();
        var uri = $"wallet-api/certificates?{Org(ConsumerOrganizationId)}&type=consumption";

        var here = Ids((await Ett.GetJsonAsync(uri))["result"]!.AsArray(), out _);
        var there = Ids((await twinEtt.GetJsonAsync(uri))["result"]!.AsArray(), out _);

        Assert.Equal(here, there);
    }

    [Fact]
    public async Task Offset_pages_read_the_live_wallet_so_an_item_used_meanwhile_shifts_the_next_page()
    {
        // The consumer's bought wind has one certificate per hour: no ties, so only the change moves items.
        var uri = $"wallet-api/certificates?{Org(ConsumerOrganizationId)}&type=production&limit=10";
        var firstPage = (await Ett.GetJsonAsync(uri + "&skip=0"))["result"]!.AsArray();
        var before = (await Ett.GetJsonAsync(uri + "&skip=10"))["result"]!.AsArray();
        var receiverId = await Ett.CreateReceiverAsync(ConsumerOrganizationId, TraderOrganizationId);
        using (var accepted = await Ett.TransferAsync(ConsumerOrganizationId, firstPage[0]!, receiverId, firstPage[0]!["quantity"]!.GetValue<long>()))
        {
            await accepted.RequestIdAsync("transferRequestId");
        }

        await Server.State.WhenIdleAsync();
        var after = (await Ett.GetJsonAsync(uri + "&skip=10"))["result"]!.AsArray();

        Assert.Equal(before[1]!["federatedStreamId"]!.ToJsonString(), after[0]!["federatedStreamId"]!.ToJsonString());
    }

    [Fact]
    public async Task Fully_used_certificate_reads_200_with_quantity_0_PW_certificates_query_model()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        using (var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, certificate["quantity"]!.GetValue<long>()))
        {
            await accepted.RequestIdAsync("transferRequestId");
        }

        await Server.State.WhenIdleAsync();
        var id = certificate["federatedStreamId"]!;
        using var never = await Ett.GetAsync($"wallet-api/certificates/{id["registry"]}/{id["streamId"]}?{Org(ClientOrganizationId)}");

        Assert.Equal(0, (await GetCertificateAsync(ProducerOrganizationId, certificate))["quantity"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, never.StatusCode);
    }

    [Fact]
    public async Task Transfer_quantity_check_counts_registering_and_available_PW_GetRegisteringAndAvailableQuantity()
    {
        var toClient = await Ett.CreateReceiverAsync(ProducerOrganizationId, ClientOrganizationId);
        var onward = await Ett.CreateReceiverAsync(ClientOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        Guid onwardRequest;
        int listedWhileRegistering;
        using (Server.State.PauseProcessing())
        {
            using (var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, toClient, 4000))
            {
                await accepted.RequestIdAsync("transferRequestId");
            }

            await Server.State.StepAsync();
            listedWhileRegistering = (await Ett.AvailableCertificatesAsync(ClientOrganizationId, "production")).Count;
            using var onwardAccepted = await Ett.TransferAsync(ClientOrganizationId, certificate, onward, 4000);
            onwardRequest = await onwardAccepted.RequestIdAsync("transferRequestId");
        }

        await Server.State.WhenIdleAsync();

        Assert.Equal(0, listedWhileRegistering);
        Assert.Equal("completed", await Ett.RequestStatusAsync(ClientOrganizationId, onwardRequest));
        var sent = Assert.Single(Server.State.Ledger(ClientOrganizationId)!.Transfers);
        Assert.Equal((onward, 4000L, "completed"), (sent.ReceiverId, sent.QuantityWh, sent.State));
    }

    [Fact]
    public async Task Claim_of_quantity_still_registering_is_an_empty_500_PW_ClaimsController_reserves_in_the_POST()
    {
        var toConsumer = await Ett.CreateReceiverAsync(ProducerOrganizationId, ConsumerOrganizationId);
        var consumptions = await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "consumption");
        var (wind, consumption) = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "production"))
            .Select(p => (Production: p!, Consumption: consumptions.FirstOrDefault(c =>
                c!["start"]!.GetValue<long>() == p!["start"]!.GetValue<long>() && c["gridArea"]!.GetValue<string>() == "DK1"
                && c["quantity"]!.GetValue<long>() > p["quantity"]!.GetValue<long>() + 5000)))
            .First(pair => pair.Consumption is not null);
        var owned = wind["quantity"]!.GetValue<long>();
        HttpStatusCode status;
        string body;
        using (Server.State.PauseProcessing())
        {
            using (var accepted = await Ett.TransferAsync(ProducerOrganizationId, wind, toConsumer, 5000))
            {
                await accepted.RequestIdAsync("transferRequestId");
            }

            await Server.State.StepAsync();
            using var claim = await Ett.ClaimAsync(ConsumerOrganizationId, wind, consumption!, owned + 5000);
            (status, body) = (claim.StatusCode, await claim.Content.ReadAsStringAsync());
        }

        Assert.Equal((HttpStatusCode.InternalServerError, ""), (status, body));
    }

    [Fact]
    public async Task Claim_mixing_trial_and_non_trial_is_refused_in_the_POST_PW_ClaimsController_IsOnlyOneTrial()
    {
        // A normal organization's production certificate sent into a trial wallet.
        using var normal = await Server.CreateEttClientAsync(SecondEttClientId, SecondEttClientSecret);
        var toConsumer = await normal.CreateReceiverAsync(NormalProducerOrganizationId, ConsumerOrganizationId, receiverEtt: Ett);
        var normalWind = (await normal.AvailableCertificatesAsync(NormalProducerOrganizationId, "production"))[0]!;
        using (var accepted = await normal.TransferAsync(NormalProducerOrganizationId, normalWind, toConsumer, 3000))
        {
            await accepted.RequestIdAsync("transferRequestId");
        }

        await Server.State.WhenIdleAsync();
        var consumption = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "consumption"))
            .First(c => c!["start"]!.GetValue<long>() == normalWind["start"]!.GetValue<long>() && c["gridArea"]!.GetValue<string>() == "DK1")!;

        using var response = await Ett.ClaimAsync(ConsumerOrganizationId, normalWind, consumption, 1000);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Cannot claim when only one certificate is marked as trial. Both must be trial or neither.", await response.BareStringAsync());
    }

    [Fact]
    public async Task Metering_points_of_an_organization_without_any_are_Pending_EO_MeteringPointsController()
    {
        var withPoints = await Ett.GetJsonAsync($"api/measurements/meteringpoints?{Org(ProducerOrganizationId)}");
        var without = await Ett.GetJsonAsync($"api/measurements/meteringpoints?{Org(TraderOrganizationId)}");

        Assert.Equal("Created", withPoints["status"]!.GetValue<string>());
        Assert.Equal("Pending", without["status"]!.GetValue<string>());
        Assert.Empty(without["result"]!.AsArray());
    }

    [Fact]
    public async Task Contract_creation_for_an_organization_without_a_wallet_is_an_empty_500_EO_ContractServiceImpl()
    {
        Server.State.GrantConsent(EttClientId, NoWalletOrganizationId);
        using var ett = await Server.CreateEttClientAsync();
        var tomorrow = new DateTimeOffset(Server.Time.GetUtcNow().UtcDateTime.Date.AddDays(1)).ToUnixTimeSeconds();

        using var response = await ett.PostAsJsonAsync($"api/certificates/contracts?{Org(NoWalletOrganizationId)}",
            new { contracts = new[] { new { gsrn = NoWalletSolarGsrn, startDate = tomorrow, endDate = (long?)null } } });

        Assert.Equal((HttpStatusCode.InternalServerError, ""), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Empty((await ett.GetJsonAsync($"api/certificates/contracts?{Org(NoWalletOrganizationId)}"))["result"]!.AsArray());
    }

    [Theory]
    [InlineData("wallet-api/wallets")]
    [InlineData("api/measurements/meteringpoints")]
    [InlineData("api/certificates/contracts")]
    public async Task Zero_consent_token_lacks_org_ids_and_every_organization_call_is_a_500_EO_AccessDescriptor(string path)
    {
        Server.State.RevokeConsent(SecondEttClientId, NormalProducerOrganizationId);
        using var zeroConsents = await Server.CreateEttClientAsync(SecondEttClientId, SecondEttClientSecret);

        using var ownOrganization = await zeroConsents.GetAsync($"{path}?{Org(SecondClientOrganizationId)}");
        var consents = await zeroConsents.GetJsonAsync("api/authorization/client/consents");

        Assert.DoesNotContain("org_ids", TokenPayload(zeroConsents));
        Assert.Equal((HttpStatusCode.InternalServerError, ""), (ownOrganization.StatusCode, await ownOrganization.Content.ReadAsStringAsync()));
        Assert.Empty(consents["result"]!.AsArray());
    }

    private List<long> SlicesOf(Guid organizationId, JsonNode certificate, string state) =>
        [.. Server.State.Ledger(organizationId)!.Certificates.Single(c => c.StreamId == StreamIdOf(certificate))
            .Slices.Where(s => s.State == state).Select(s => s.QuantityWh)];

    private List<SandboxTransferredSlice> TransferRows(Guid receiverId) =>
        [.. new[] { ProducerOrganizationId, TraderOrganizationId, ConsumerOrganizationId }
            .SelectMany(o => Server.State.Ledger(o)!.Transfers).Where(t => t.ReceiverId == receiverId)];

    private Task<JsonNode> GetCertificateAsync(Guid organizationId, JsonNode certificate)
    {
        var id = certificate["federatedStreamId"]!;
        return Ett.GetJsonAsync($"wallet-api/certificates/{id["registry"]}/{id["streamId"]}?{Org(organizationId)}");
    }

    private static Guid StreamIdOf(JsonNode certificate) => certificate["federatedStreamId"]!["streamId"]!.GetValue<Guid>();

    private static List<Guid> Ids(JsonArray certificates, out List<long> ends)
    {
        ends = [.. certificates.Select(c => c!["end"]!.GetValue<long>())];
        return [.. certificates.Select(c => StreamIdOf(c!))];
    }

    private static List<string> Rows(JsonArray transfers) =>
        [.. transfers.Select(t => $"{StreamIdOf(t!)}/{t!["receiverId"]}/{t["quantity"]}")];

    private static string TokenPayload(HttpClient ett)
    {
        var payload = ett.DefaultRequestHeaders.Authorization!.Parameter!.Split('.')[1];
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=').Replace('-', '+').Replace('_', '/')));
    }
}
