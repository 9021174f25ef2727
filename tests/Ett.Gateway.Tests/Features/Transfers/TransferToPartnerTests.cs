using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Ett.Gateway.Features.Transfers;
using Ett.Gateway.Tests.Operations;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Features.Transfers;

public sealed class TransferToPartnerTests : IAsyncLifetime
{
    private OperationsSandbox env = null!;
    private HttpClient caller = null!;

    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    public async Task InitializeAsync()
    {
        env = await OperationsSandbox.StartAsync();
        env.StartGateway();
        caller = await env.CallerAsync();
    }

    public async Task DisposeAsync() => await env.DisposeAsync();

    /// <summary>A quantity that needs exactly the three oldest DK1 production certificates: all of two and 1 Wh of the third.</summary>
    private long ThreeCertificates() => env.AvailableProduction(Producer, "DK1").Take(2).Sum(c => c.AvailableWh) + 1;

    private Task<HttpResponseMessage> TransferAsync(object body, string? key = "key-1") => caller.SendAsync(Post(Transfers, body, key));

    [Fact]
    public async Task Transfer_needing_three_certificates_arrives_whole_at_the_partner()
    {
        var quantity = ThreeCertificates();
        var oldest = env.AvailableProduction(Producer, "DK1").Take(3).ToList();
        var senderBefore = env.Ett.AvailableWh(Producer, SandboxCertificateType.Production);
        var receiverBefore = env.Ett.AvailableWh(Trader, SandboxCertificateType.Production);

        var response = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = quantity, gridArea = "DK1" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var operation = await JsonOf(response);
        var operationId = operation.GetProperty("operationId").GetGuid();
        Assert.Equal($"/operations/{operationId}", response.Headers.Location?.OriginalString);
        Assert.Equal(quantity, operation.GetProperty("requestedWh").GetInt64());
        var posts = env.EttPosts("transfers").Select(p => JsonDocument.Parse(p.Body!).RootElement).ToList();
        Assert.Equal(oldest.Select(c => c.StreamId), posts.Select(p => p.GetProperty("certificateId").GetProperty("streamId").GetGuid()));
        Assert.Equal([oldest[0].AvailableWh, oldest[1].AvailableWh, 1], posts.Select(p => p.GetProperty("quantity").GetInt64()));

        await env.SettleAsync();

        Assert.Equal(senderBefore - quantity, env.Ett.AvailableWh(Producer, SandboxCertificateType.Production));
        Assert.Equal(receiverBefore + quantity, env.Ett.AvailableWh(Trader, SandboxCertificateType.Production));
        var settled = await env.GetOperationAsync(caller, operationId);
        Assert.Equal("completed", settled.GetProperty("status").GetString());
        Assert.Equal(quantity, settled.GetProperty("completedWh").GetInt64());
        Assert.All(settled.GetProperty("legs").EnumerateArray(), leg =>
        {
            Assert.Equal("completed", leg.GetProperty("status").GetString());
            Assert.NotEqual(JsonValueKind.Null, leg.GetProperty("ettRequestId").ValueKind);
        });
    }

    [Theory]
    [InlineData("all", true)]
    [InlineData("none", false)]
    public async Task Hashed_attributes_reach_the_receiver_only_when_shared(string hashedAttributes, bool visible)
    {
        var certificate = env.AvailableProduction(Producer, "DK1")[0];

        var response = await TransferAsync(new
        {
            partnerOrganizationId = Trader, quantityWh = 1000, hashedAttributes,
            certificateIds = new[] { new { registry = certificate.Registry, streamId = certificate.StreamId } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await env.SettleAsync();

        var received = Assert.Single(env.Ett.CertificatesOf(Trader), c => c.StreamId == certificate.StreamId);
        Assert.Equal(1000, received.AvailableWh);
        Assert.Equal(visible, received.Attributes.ContainsKey("energyTag_ProductionDeviceUniqueIdentification"));
        Assert.Equal(visible, received.Attributes.ContainsKey("energyTag_ProductionDeviceCapacity"));
    }

    [Fact]
    public async Task Listed_hashed_attributes_are_sent_with_etts_exact_spelling()
    {
        var response = await TransferAsync(new
        {
            partnerOrganizationId = Trader, quantityWh = 1000, hashedAttributes = new[] { "ENERGYTAG_PRODUCTIONDEVICELOCATION" },
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var post = JsonDocument.Parse(Assert.Single(env.EttPosts("transfers")).Body!).RootElement;
        Assert.Equal(["energyTag_ProductionDeviceLocation"], post.GetProperty("hashedAttributes").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Unknown_hashed_attribute_is_rejected_before_anything_is_sent()
    {
        var response = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = 1000, hashedAttributes = new[] { "AssetId" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("hashedAttributes", (await JsonOf(response)).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Empty(env.EttPosts("transfers"));
    }

    [Fact]
    public async Task Insufficient_quantity_is_422_with_the_available_amount_and_no_ett_transfer()
    {
        var available = env.AvailableProduction(Producer, "DK2").Sum(c => c.AvailableWh);

        var response = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = available + 1, gridArea = "DK2" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await JsonOf(response);
        Assert.Equal("https://ett-gateway/problems/insufficient-quantity", problem.GetProperty("type").GetString());
        Assert.Equal(available, problem.GetProperty("availableWh").GetInt64());
        Assert.Empty(env.EttPosts("transfers"));
    }

    [Fact]
    public async Task Transfer_the_oldest_certificates_cover_reads_one_page_of_them()
    {
        var response = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = ThreeCertificates(), gridArea = "DK1" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var reads = CertificateReads();
        Assert.Equal([TransferToPartner.OldestFirst], reads.Select(Limit));
        Assert.Equal(3, env.EttPosts("transfers").Count);
    }

    [Fact]
    public async Task Transfer_the_oldest_page_cannot_cover_reads_the_whole_list_and_takes_certificates_beyond_it()
    {
        // All of both grid areas: more certificates than the first page holds.
        var all = env.AvailableProduction(Producer);
        Assert.True(all.Count > TransferToPartner.OldestFirst, "the seed has too few certificates for this test");
        var quantity = all.Sum(c => c.AvailableWh);

        var response = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = quantity });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var reads = CertificateReads();
        Assert.Equal(TransferToPartner.OldestFirst, Limit(reads[0]));
        Assert.All(reads.Skip(1), read => Assert.NotEqual(TransferToPartner.OldestFirst, Limit(read)));
        Assert.Equal(quantity, env.EttPosts("transfers").Sum(p => JsonDocument.Parse(p.Body!).RootElement.GetProperty("quantity").GetInt64()));
        Assert.Equal(all.Count, env.EttPosts("transfers").Count);
    }

    [Fact]
    public async Task Transfers_a_moment_apart_plan_from_one_certificate_read_and_never_take_what_the_first_reserved()
    {
        var oldest = env.AvailableProduction(Producer, "DK1").Take(4).ToList();
        var senderBefore = env.Ett.AvailableWh(Producer, SandboxCertificateType.Production);
        var first = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = oldest[0].AvailableWh + oldest[1].AvailableWh, gridArea = "DK1" }, "key-1");
        var firstPosts = env.EttPosts("transfers").Count;
        env.Time.Advance(TimeSpan.FromMilliseconds(500));

        var second = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = oldest[2].AvailableWh + oldest[3].AvailableWh, gridArea = "DK1" }, "key-2");

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted], new[] { first.StatusCode, second.StatusCode });
        Assert.Equal([TransferToPartner.OldestFirst], CertificateReads().Select(Limit));
        var sent = env.EttPosts("transfers").Select(p => JsonDocument.Parse(p.Body!).RootElement.GetProperty("certificateId").GetProperty("streamId").GetGuid()).ToList();
        Assert.Equal(oldest.Select(c => c.StreamId), sent);
        Assert.Equal(2, firstPosts);
        await env.SettleAsync();
        Assert.Equal(senderBefore - oldest.Sum(c => c.AvailableWh), env.Ett.AvailableWh(Producer, SandboxCertificateType.Production));
    }

    [Fact]
    public async Task A_certificate_whose_leg_finished_since_the_reused_read_is_planned_again_oldest_first()
    {
        var oldest = env.AvailableProduction(Producer, "DK1")[0];
        var first = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = 1000, gridArea = "DK1" }, "key-1");
        env.Time.Advance(TimeSpan.FromMilliseconds(100));
        await env.SettleAsync();
        env.Time.Advance(TimeSpan.FromMilliseconds(100));

        // The read still shows the whole certificate; the journal counts the finished leg against it, and it is free.
        var second = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = oldest.AvailableWh - 1000, gridArea = "DK1" }, "key-2");

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted], new[] { first.StatusCode, second.StatusCode });
        Assert.Single(CertificateReads());
        var posts = env.EttPosts("transfers").Select(p => JsonDocument.Parse(p.Body!).RootElement).ToList();
        Assert.All(posts, post => Assert.Equal(oldest.StreamId, post.GetProperty("certificateId").GetProperty("streamId").GetGuid()));
        Assert.Equal([1000, oldest.AvailableWh - 1000], posts.Select(p => p.GetProperty("quantity").GetInt64()));
        await env.SettleAsync();
        Assert.DoesNotContain(env.AvailableProduction(Producer, "DK1"), c => c.StreamId == oldest.StreamId);
    }

    [Fact]
    public async Task A_transfer_the_reused_read_cannot_cover_is_decided_on_a_fresh_read_of_the_whole_list()
    {
        var registered = await caller.PostAsJsonAsync($"/organizations/{Producer}/partners", new { name = "Trader", partnerOrganizationId = Trader });
        var partner = await JsonOf(registered);
        env.Ett.RejectSlicesTo(partner.GetProperty("receiverId").GetGuid());
        var certificate = env.AvailableProduction(Producer, "DK1")[0];
        object Whole() => new
        {
            partnerId = partner.GetProperty("partnerId").GetGuid(), quantityWh = certificate.AvailableWh,
            // The certificate's own hour: ETT's first page is then the whole list, so only the reuse calls for another read.
            from = DateTimeOffset.FromUnixTimeSeconds(certificate.Start), to = DateTimeOffset.FromUnixTimeSeconds(certificate.End),
            certificateIds = new[] { new { registry = certificate.Registry, streamId = certificate.StreamId } },
        };
        env.Ett.ClearRequests();
        Assert.Equal(HttpStatusCode.Accepted, (await TransferAsync(Whole(), "key-1")).StatusCode);
        env.Time.Advance(TimeSpan.FromMilliseconds(100));
        // ETT's registry rejects the slice: the whole certificate is available again, which the first read cannot show.
        await env.SettleAsync();
        env.Time.Advance(TimeSpan.FromMilliseconds(100));

        var again = await TransferAsync(Whole(), "key-2");

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var reads = CertificateReads();
        Assert.Equal(2, reads.Count);
        Assert.Equal(TransferToPartner.OldestFirst, Limit(reads[0]));
        Assert.NotEqual(TransferToPartner.OldestFirst, Limit(reads[1]));
        Assert.Equal([certificate.AvailableWh, certificate.AvailableWh],
            env.EttPosts("transfers").Select(p => JsonDocument.Parse(p.Body!).RootElement.GetProperty("quantity").GetInt64()));
    }

    private List<string> CertificateReads() =>
        [.. env.Ett.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/wallet-api/certificates", StringComparison.Ordinal)).Select(r => r.QueryString)];

    private static int Limit(string query) => int.Parse(QueryHelpers.ParseQuery(query)["limit"].Single()!, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Registered_partner_costs_no_further_ett_call_on_transfer()
    {
        var registered = await caller.PostAsJsonAsync($"/organizations/{Producer}/partners", new { name = "Trader", partnerOrganizationId = Trader });
        var partnerId = (await JsonOf(registered)).GetProperty("partnerId").GetGuid();
        env.Ett.ClearRequests();

        var response = await TransferAsync(new { partnerId, quantityWh = 1000 });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.DoesNotContain(env.Ett.Requests, r => r.Path.Contains("endpoints", StringComparison.Ordinal) || r.Path.EndsWith("/wallets", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_partner_is_404_and_the_key_stays_usable()
    {
        var missing = await TransferAsync(new { partnerId = Guid.NewGuid(), quantityWh = 1000 });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var retried = await TransferAsync(new { partnerOrganizationId = Trader, quantityWh = 1000 });

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
    }
}
