using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>The wallet's rules: available quantity only, asynchronous claims and transfers, slicing, hashed attributes.</summary>
public sealed class SandboxWalletRuleTests : SandboxTestBase
{

    [Fact]
    public async Task Transfer_is_pending_until_processed_then_completed()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        var before = Server.State.AvailableWh(ProducerOrganizationId, SandboxCertificateType.Production);
        string pending;
        long duringProcessingHold;
        Guid requestId;
        using (Server.State.PauseProcessing())
        {
            using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
            requestId = await accepted.RequestIdAsync("transferRequestId");
            pending = await Ett.RequestStatusAsync(ProducerOrganizationId, requestId);
            duringProcessingHold = Server.State.AvailableWh(ProducerOrganizationId, SandboxCertificateType.Production);
        }

        await Server.State.WhenIdleAsync();

        Assert.Equal("pending", pending);
        Assert.Equal(before, duringProcessingHold);
        Assert.Equal("completed", await Ett.RequestStatusAsync(ProducerOrganizationId, requestId));
        Assert.Equal(before - 1000, Server.State.AvailableWh(ProducerOrganizationId, SandboxCertificateType.Production));
    }

    [Fact]
    public async Task Claim_reserves_whole_slices_in_the_POST_and_claims_exactly_its_quantity_for_same_hour_and_area()
    {
        var (production, consumption) = await MatchingPairAsync(sameHour: true, sameArea: true);
        var before = Server.State.AvailableWh(ConsumerOrganizationId, SandboxCertificateType.Consumption);
        long duringProcessingHold;
        Guid requestId;
        using (Server.State.PauseProcessing())
        {
            using var accepted = await Ett.ClaimAsync(ConsumerOrganizationId, production, consumption, 2000);
            requestId = await accepted.RequestIdAsync("claimRequestId");
            duringProcessingHold = Server.State.AvailableWh(ConsumerOrganizationId, SandboxCertificateType.Consumption);
        }

        await Server.State.WhenIdleAsync();

        // PW ClaimsController reserves whole slices (CertificateRepository.ReserveQuantity); the split comes with the claim.
        Assert.Equal(before - consumption["quantity"]!.GetValue<long>(), duringProcessingHold);
        Assert.Equal(before - 2000, Server.State.AvailableWh(ConsumerOrganizationId, SandboxCertificateType.Consumption));
        Assert.Equal("completed", await Ett.RequestStatusAsync(ConsumerOrganizationId, requestId));
        var claim = Assert.Single((await Ett.GetJsonAsync($"wallet-api/claims?{Org(ConsumerOrganizationId)}"))["result"]!.AsArray())!;
        Assert.Equal(2000, claim["quantity"]!.GetValue<long>());
        Assert.Equal(production["federatedStreamId"]!.ToJsonString(), claim["productionCertificate"]!["federatedStreamId"]!.ToJsonString());
        Assert.Equal(Server.Time.GetUtcNow().ToUnixTimeSeconds(), claim["updatedAt"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Claim_of_different_hour_or_grid_area_is_accepted_202_then_fails_and_releases_the_quantity(bool sameHour, bool sameArea)
    {
        var (production, consumption) = await MatchingPairAsync(sameHour, sameArea);
        var before = Server.State.AvailableWh(ConsumerOrganizationId, SandboxCertificateType.Production);

        using var accepted = await Ett.ClaimAsync(ConsumerOrganizationId, production, consumption, 1000);
        var requestId = await accepted.RequestIdAsync("claimRequestId");
        await Server.State.WhenIdleAsync();

        Assert.Equal("failed", await Ett.RequestStatusAsync(ConsumerOrganizationId, requestId));
        Assert.Equal(before, Server.State.AvailableWh(ConsumerOrganizationId, SandboxCertificateType.Production));
        Assert.Empty((await Ett.GetJsonAsync($"wallet-api/claims?{Org(ConsumerOrganizationId)}"))["result"]!.AsArray());
    }

    [Fact]
    public async Task Claim_of_more_than_available_is_a_bare_string_400()
    {
        var (production, consumption) = await MatchingPairAsync(sameHour: true, sameArea: true);

        using var response = await Ett.ClaimAsync(ConsumerOrganizationId, production, consumption, production["quantity"]!.GetValue<long>() + 1);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(await response.BareStringAsync()));
    }

    [Fact]
    public async Task Partial_transfer_leaves_the_remainder_available_as_a_slice()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        var quantity = certificate["quantity"]!.GetValue<long>();
        var id = certificate["federatedStreamId"]!;

        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1234);
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var remainder = await Ett.GetJsonAsync($"wallet-api/certificates/{id["registry"]}/{id["streamId"]}?{Org(ProducerOrganizationId)}");
        Assert.Equal(quantity - 1234, remainder["quantity"]!.GetValue<long>());
    }

    [Fact]
    public async Task Transferring_all_of_a_certificate_removes_it_from_the_available_list()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;

        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, certificate["quantity"]!.GetValue<long>());
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var available = await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production");
        Assert.DoesNotContain(available, c => c!["federatedStreamId"]!.ToJsonString() == certificate["federatedStreamId"]!.ToJsonString());
    }

    [Fact]
    public async Task Transfer_to_a_sandbox_receiver_lands_as_available_certificate_in_its_wallet()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, ClientOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;

        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 5000);
        var requestId = await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var received = Assert.Single(await Ett.AvailableCertificatesAsync(ClientOrganizationId, "production"))!;
        Assert.Equal("completed", await Ett.RequestStatusAsync(ProducerOrganizationId, requestId));
        Assert.Equal(certificate["federatedStreamId"]!.ToJsonString(), received["federatedStreamId"]!.ToJsonString());
        Assert.Equal((certificate["start"]!.GetValue<long>(), certificate["end"]!.GetValue<long>(), certificate["gridArea"]!.GetValue<string>()),
            (received["start"]!.GetValue<long>(), received["end"]!.GetValue<long>(), received["gridArea"]!.GetValue<string>()));
        Assert.Equal(5000, received["quantity"]!.GetValue<long>());
        var sent = Assert.Single((await Ett.GetJsonAsync($"wallet-api/transfers?{Org(ProducerOrganizationId)}"))["result"]!.AsArray(),
            t => t!["receiverId"]!.GetValue<string>() == receiverId.ToString())!;
        Assert.Equal(5000, sent["quantity"]!.GetValue<long>());
    }

    [Fact]
    public async Task Transfer_to_an_external_receiver_completes()
    {
        using var external = await Ett.PostAsJsonAsync($"wallet-api/external-endpoints?{Org(ProducerOrganizationId)}", new
        {
            walletReference = new { version = 1, endpoint = "https://other-wallet.example/wallet-api/v1/slices", publicKey = Convert.ToBase64String(new byte[78]) },
            textReference = "partner outside ETT",
        });
        var receiverId = JsonNode.Parse(await external.Content.ReadAsStringAsync())!["receiverId"]!.GetValue<Guid>();
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;

        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
        var requestId = await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        Assert.Equal("completed", await Ett.RequestStatusAsync(ProducerOrganizationId, requestId));
    }

    [Theory]
    [InlineData("assetId", true)]
    [InlineData("AssetId", false)]
    public async Task Hashed_attributes_are_shared_only_when_named_case_sensitively(string name, bool shared)
    {
        var receiverId = await Ett.CreateReceiverAsync(ConsumerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "consumption"))[0]!;

        using var accepted = await Ett.TransferAsync(ConsumerOrganizationId, certificate, receiverId, 1000, name);
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var received = Assert.Single(await Ett.AvailableCertificatesAsync(TraderOrganizationId, "consumption"))!;
        Assert.Equal("true", received["attributes"]!["isTrial"]!.GetValue<string>());
        Assert.Equal(shared, received["attributes"]!.AsObject().ContainsKey("assetId"));
    }

    [Fact]
    public async Task Transfer_without_hashedAttributes_is_a_validation_problem()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;

        using var response = await Ett.PostAsJsonAsync($"wallet-api/transfers?{Org(ProducerOrganizationId)}",
            new { certificateId = certificate["federatedStreamId"]!.DeepClone(), receiverId, quantity = 1000 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!["HashedAttributes"]);
    }

    [Fact]
    public async Task Transfer_of_unknown_certificate_or_too_much_is_a_bare_string_400()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        var unknown = new JsonObject { ["federatedStreamId"] = new JsonObject { ["registry"] = Registry, ["streamId"] = Guid.NewGuid() } };

        using var tooMuch = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, certificate["quantity"]!.GetValue<long>() + 1);
        using var missing = await Ett.TransferAsync(ProducerOrganizationId, unknown, receiverId, 1);

        Assert.Equal(HttpStatusCode.BadRequest, tooMuch.StatusCode);
        Assert.False(string.IsNullOrEmpty(await tooMuch.BareStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.False(string.IsNullOrEmpty(await missing.BareStringAsync()));
    }

    [Fact]
    public async Task Receiver_endpoint_to_own_wallet_is_a_bare_string_400()
    {
        using var endpoint = await Ett.PostAsync($"wallet-api/wallets/{WalletIdOf(TraderOrganizationId)}/endpoints?{Org(TraderOrganizationId)}", null);
        var walletReference = JsonNode.Parse(await endpoint.Content.ReadAsStringAsync())!["walletReference"];

        using var response = await Ett.PostAsJsonAsync($"wallet-api/external-endpoints?{Org(TraderOrganizationId)}", new { walletReference, textReference = "me" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Cannot create receiver deposit endpoint to self.", await response.BareStringAsync());
    }

    [Fact]
    public async Task Each_wallet_endpoint_call_derives_a_new_key()
    {
        var uri = $"wallet-api/wallets/{WalletIdOf(TraderOrganizationId)}/endpoints?{Org(TraderOrganizationId)}";
        using var first = await Ett.PostAsync(uri, null);
        using var second = await Ett.PostAsync(uri, null);

        var firstReference = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["walletReference"]!;
        var secondReference = JsonNode.Parse(await second.Content.ReadAsStringAsync())!["walletReference"]!;
        Assert.NotEqual(firstReference["publicKey"]!.GetValue<string>(), secondReference["publicKey"]!.GetValue<string>());
        Assert.EndsWith("/sandbox/ett/wallet-api/v1/slices", firstReference["endpoint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_status_of_another_organizations_request_is_404()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
        var requestId = await accepted.RequestIdAsync("transferRequestId");

        using var response = await Ett.GetAsync($"wallet-api/request-status/{requestId}?{Org(TraderOrganizationId)}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Offset_paging_reports_total_ignoring_skip_and_echoes_an_omitted_limit_as_int_max()
    {
        // The consumer's bought wind has one certificate per hour: no ties in end, so pages line up.
        var all = await Ett.GetJsonAsync($"wallet-api/certificates?{Org(ConsumerOrganizationId)}&type=production");
        var page = await Ett.GetJsonAsync($"wallet-api/certificates?{Org(ConsumerOrganizationId)}&type=production&skip=3&limit=2");

        Assert.Equal(int.MaxValue, all["metadata"]!["limit"]!.GetValue<int>());
        Assert.Equal(all["metadata"]!["total"]!.GetValue<int>(), page["metadata"]!["total"]!.GetValue<int>());
        Assert.Equal((2, 3, 2), (page["metadata"]!["count"]!.GetValue<int>(), page["metadata"]!["offset"]!.GetValue<int>(), page["metadata"]!["limit"]!.GetValue<int>()));
        Assert.Equal(all["result"]![3]!.ToJsonString(), page["result"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task Certificate_cursor_is_strictly_after_updatedSince_and_echoes_it()
    {
        var seededAt = Server.Time.GetUtcNow().ToUnixTimeSeconds();
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        Server.FakeTime!.Advance(TimeSpan.FromSeconds(10));
        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        var changed = await Ett.GetJsonAsync($"wallet-api/certificates/cursor?{Org(ProducerOrganizationId)}&updatedSince={seededAt}");

        var only = Assert.Single(changed["result"]!.AsArray())!;
        Assert.Equal(certificate["federatedStreamId"]!.ToJsonString(), only["federatedStreamId"]!.ToJsonString());
        Assert.Equal(seededAt, changed["metadata"]!["updatedAt"]!.GetValue<long>());
        Assert.True(changed["metadata"]!["total"]!.GetValue<int>() > 1);
    }

    [Fact]
    public void Seed_has_hourly_certificates_for_three_days_in_both_bidding_zones()
    {
        var certificates = Server.State.CertificatesOf(ConsumerOrganizationId).Where(c => c.Type == SandboxCertificateType.Consumption).ToList();

        Assert.Equal(2 * 72, certificates.Count);
        Assert.Equal(["DK1", "DK2"], certificates.Select(c => c.GridArea).Distinct().Order());
        Assert.All(certificates, c => Assert.Equal(3600, c.End - c.Start));
        Assert.All(certificates, c => Assert.InRange(c.AvailableWh, 50_000, 500_000));
        Assert.All(certificates, c => Assert.Equal(c.Attributes["assetId"], c.GridArea == "DK1" ? ConsumerDk1Gsrn : ConsumerDk2Gsrn));
    }

    [Fact]
    public async Task Reset_restores_the_seed()
    {
        var before = Server.State.AvailableWh(ProducerOrganizationId, SandboxCertificateType.Production);
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        using var accepted = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
        await accepted.RequestIdAsync("transferRequestId");
        await Server.State.WhenIdleAsync();

        Server.State.Reset();

        Assert.Equal(before, Server.State.AvailableWh(ProducerOrganizationId, SandboxCertificateType.Production));
    }

    [Fact]
    public async Task Concurrent_transfers_never_move_more_than_is_available()
    {
        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        var tenth = certificate["quantity"]!.GetValue<long>() / 10;

        // While processing is held every POST passes the synchronous check; the background reservation decides which ones fit.
        HttpResponseMessage[] responses;
        Guid[] requestIds;
        using (Server.State.PauseProcessing())
        {
            responses = await Task.WhenAll(Enumerable.Range(0, 15).Select(_ => Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, tenth)));
            requestIds = await Task.WhenAll(responses.Select(r => r.RequestIdAsync("transferRequestId")));
        }

        await Server.State.WhenIdleAsync();
        var statuses = await Task.WhenAll(requestIds.Select(id => Ett.RequestStatusAsync(ProducerOrganizationId, id)));

        Assert.Equal(10, statuses.Count(s => s == "completed"));
        Assert.Equal(5, statuses.Count(s => s == "failed"));
        Assert.Equal(10 * tenth, Server.State.CertificatesOf(TraderOrganizationId).Single(c => c.StreamId == certificate["federatedStreamId"]!["streamId"]!.GetValue<Guid>()).AvailableWh);
        Array.ForEach(responses, r => r.Dispose());
    }

    [Fact]
    public async Task Claims_cursor_returns_claims_updated_after_updatedSince()
    {
        var (production, consumption) = await MatchingPairAsync(sameHour: true, sameArea: true);
        var before = Server.Time.GetUtcNow().ToUnixTimeSeconds();
        Server.FakeTime!.Advance(TimeSpan.FromSeconds(1));
        using var accepted = await Ett.ClaimAsync(ConsumerOrganizationId, production, consumption, 1000);
        await accepted.RequestIdAsync("claimRequestId");
        await Server.State.WhenIdleAsync();

        var after = await Ett.GetJsonAsync($"wallet-api/claims/cursor?{Org(ConsumerOrganizationId)}&updatedSince={before}");
        var atClaim = await Ett.GetJsonAsync($"wallet-api/claims/cursor?{Org(ConsumerOrganizationId)}&updatedSince={before + 1}");

        Assert.Equal(before + 1, Assert.Single(after["result"]!.AsArray())!["updatedAt"]!.GetValue<long>());
        Assert.Empty(atClaim["result"]!.AsArray());
        Assert.Equal(1, atClaim["metadata"]!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Aggregation_needs_timeAggregate_and_a_known_time_zone()
    {
        using var missing = await Ett.GetAsync($"wallet-api/aggregate-certificates?{Org(ConsumerOrganizationId)}&timeZone=UTC");
        using var unknownZone = await Ett.GetAsync($"wallet-api/aggregate-certificates?{Org(ConsumerOrganizationId)}&timeAggregate=Day&timeZone=Mars/Olympus");

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.NotNull(JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["errors"]!["timeAggregate"]);
        Assert.Equal(HttpStatusCode.BadRequest, unknownZone.StatusCode);
        Assert.Equal("Invalid time zone", await unknownZone.BareStringAsync());
    }

    [Fact]
    public async Task Daily_aggregation_buckets_by_local_midnight_and_sums_available_quantity()
    {
        var buckets = (await Ett.GetJsonAsync(
            $"wallet-api/aggregate-certificates?{Org(ConsumerOrganizationId)}&timeAggregate=Day&timeZone=Europe/Copenhagen&type=consumption"))["result"]!.AsArray();
        var copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");

        Assert.All(buckets, b => Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(b!["start"]!.GetValue<long>()), copenhagen).TimeOfDay));
        Assert.Equal(Server.State.AvailableWh(ConsumerOrganizationId, SandboxCertificateType.Consumption), buckets.Sum(b => b!["quantity"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Creating_a_wallet_always_fails_as_in_ETT()
    {
        using var response = await Ett.PostAsync($"wallet-api/wallets?{Org(TraderOrganizationId)}", null);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    /// <summary>A bought production certificate and a consumption certificate in the consumer's wallet.</summary>
    private async Task<(JsonNode Production, JsonNode Consumption)> MatchingPairAsync(bool sameHour, bool sameArea)
    {
        var production = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "production"))[1]!;
        var start = production["start"]!.GetValue<long>();
        var area = production["gridArea"]!.GetValue<string>();
        var consumption = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "consumption")).First(c =>
            (c!["start"]!.GetValue<long>() == start) == sameHour && (c["gridArea"]!.GetValue<string>() == area) == sameArea)!;
        return (production, consumption);
    }
}
