using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Errors;
using Ett.Gateway.Tests.Features;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Upstream;

public class EttTokenTests : GatewayTest
{
    // Some tests move the clock while ETT answers (a consent granted meanwhile); ETT's time budgets are not under test here.
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ett:Resilience:Timeout", "00:05:00");
        builder.UseSetting("Ett:Resilience:AttemptTimeout", "00:05:00");
    }

    [Fact]
    public async Task Concurrent_cold_callers_cause_one_token_request()
    {
        var firstTokenRequest = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        Upstreams.TokenBehaviour = async context =>
        {
            firstTokenRequest.TrySetResult();
            await release.Task;
            await Upstreams.IssueEttTokenAsync(context);
        };

        var calls = Enumerable.Range(0, 200).Select(_ => Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}")).ToArray();
        await firstTokenRequest.Task;
        release.SetResult();
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(Upstreams.TokenRequests);
        var token = Assert.Single(Upstreams.IssuedEttTokens);
        Assert.Equal(200, Upstreams.EttRequests.Count);
        Assert.All(Upstreams.EttRequests, r => Assert.Equal([$"Bearer {token}"], r.HeaderValues("Authorization")));
    }

    [Fact]
    public async Task A_cached_token_is_looked_up_without_allocating()
    {
        Assert.Equal(HttpStatusCode.OK, (await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}")).StatusCode);
        var credentials = Gateway.Services.GetRequiredService<EttCredentials>();
        var held = await credentials.ForRequestAsync(null, Upstreams.OwnOrganization, CancellationToken.None);

        // Counted on this thread; every lookup completes synchronously, as it does on every proxied request.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            var lookup = credentials.ForRequestAsync(null, Upstreams.OwnOrganization, CancellationToken.None);
            Assert.True(lookup.IsCompletedSuccessfully);
            Assert.Same(held, await lookup);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Single(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task Token_request_is_a_client_credentials_form_post_with_the_configured_scope()
    {
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        var request = Assert.Single(Upstreams.TokenRequests);
        Assert.Equal("POST", request.Method);
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.BodyText);
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal(FakeUpstreams.EttClientId, form["client_id"]);
        Assert.Equal(FakeUpstreams.EttClientSecret, form["client_secret"]);
        Assert.Equal("https://datahubeouenerginet.onmicrosoft.com/energy-origin/.default", form["scope"]);
    }

    [Fact]
    public async Task Token_is_reused_until_the_refresh_margin_and_renewed_after_it()
    {
        Upstreams.TokenLifetimeSeconds = 3600;
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Gateway.Time.Advance(TimeSpan.FromSeconds(3600 - 61));
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        Assert.Single(Upstreams.TokenRequests);

        Gateway.Time.Advance(TimeSpan.FromSeconds(2));
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(2, Upstreams.TokenRequests.Count);
        var tokens = Upstreams.IssuedEttTokens.ToArray();
        var seen = Upstreams.EttRequests.Select(r => r.HeaderValues("Authorization").Single()).ToArray();
        Assert.Equal([$"Bearer {tokens[0]}", $"Bearer {tokens[0]}", $"Bearer {tokens[1]}"], seen);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(100)]
    public async Task Token_living_less_than_twice_the_refresh_margin_is_reused_for_half_its_lifetime_with_one_warning(int lifetimeSeconds)
    {
        Upstreams.TokenLifetimeSeconds = lifetimeSeconds;
        var half = TimeSpan.FromSeconds(lifetimeSeconds / 2.0);

        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        Gateway.Time.Advance(half - TimeSpan.FromSeconds(1));
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        Assert.Single(Upstreams.TokenRequests);

        Gateway.Time.Advance(TimeSpan.FromSeconds(1));
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Single(Gateway.Logs.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning && r.Message.Contains("Ett:RefreshMargin"));
    }

    [Fact]
    public async Task Failed_token_request_is_not_cached_and_reaches_the_caller_as_problem_details()
    {
        Upstreams.TokenBehaviour = context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        };

        var failed = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        var problem = await failed.Content.ReadFromJsonAsync<ProblemDetails>();
        Assert.Equal(ProblemTypes.UpstreamTokenUnavailable, problem!.Type);
        Assert.Empty(Upstreams.EttRequests);

        Upstreams.TokenBehaviour = null;
        var recovered = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Single(Upstreams.EttRequests);
    }

    [Theory]
    [InlineData("""{"token_type":"Bearer","expires_in":3600}""")]
    [InlineData("""{"access_token":"abc","token_type":"Bearer"}""")]
    [InlineData("""not json""")]
    public async Task Token_response_without_a_usable_token_is_an_error_and_not_cached(string body)
    {
        Upstreams.TokenBehaviour = context => context.Response.WriteAsync(body);

        var first = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        var second = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Empty(Upstreams.EttRequests);
    }

    [Fact]
    public async Task A_token_answer_longer_than_the_token_clients_buffer_is_a_token_problem_and_not_cached()
    {
        var padding = new string(' ', EttTokenProvider.MaxAnswerBytes);
        Upstreams.TokenBehaviour = context =>
            context.Response.WriteAsync("""{"access_token":"opaque-token","token_type":"Bearer","expires_in":3600,"pad":" """ + padding + "\"}");

        var first = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        var second = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        var problem = await first.ProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream-token-unavailable");
        Assert.Equal("The ETT token endpoint could not be reached.", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Empty(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Token_lifetime_given_as_a_string_is_accepted()
    {
        Upstreams.TokenBehaviour = context =>
            context.Response.WriteAsync("""{"access_token":"opaque-token","token_type":"Bearer","expires_in":"3600"}""");

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Bearer opaque-token"], Upstreams.EttRequests.Single().HeaderValues("Authorization"));
    }

    [Fact]
    public async Task Ett_401_to_the_typed_client_renews_the_token_exactly_once_and_retries_once()
    {
        RefuseTheFirstToken();

        var response = await EttHttpClient().GetAsync("wallet-api/wallets");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Equal(2, Upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task Ett_refusing_every_token_causes_one_renewal_not_a_loop()
    {
        Upstreams.EttBehaviour = (context, _) =>
        {
            context.Response.StatusCode = 401;
            return Task.CompletedTask;
        };

        var response = await EttHttpClient().GetAsync("wallet-api/wallets");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Equal(2, Upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task Ett_401_to_a_proxied_request_is_a_502_not_replayed_and_the_next_request_gets_a_new_token()
    {
        RefuseTheFirstToken();

        var refused = await Caller.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", JsonContent.Create(new { quantity = 1 }));
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Single(Upstreams.EttRequests);

        var next = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
    }

    [Fact]
    public async Task Newly_granted_consent_succeeds_after_one_token_renewal()
    {
        var organization = Guid.NewGuid();
        Upstreams.Consents = [organization];
        // ETT froze the consents at the first token: the organization consented afterwards.
        Upstreams.TokenBehaviour = async context =>
        {
            await Upstreams.IssueEttTokenAsync(context);
            Upstreams.TokenOrganizations = [organization];
        };

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={organization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        var walletCall = Assert.Single(Upstreams.EttRequests, r => r.Path == "/wallet-api/wallets");
        Assert.Equal($"Bearer {Upstreams.IssuedEttTokens.Last()}", walletCall.HeaderValues("Authorization").Single());
    }

    [Fact]
    public async Task Consent_granted_after_the_consent_list_was_cached_works_without_waiting_for_the_cache()
    {
        var organization = Guid.NewGuid();
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={organization}");
        Assert.Single(Upstreams.EttRequests, r => r.Path.EndsWith("/consents"));

        // The organization consents; ETT lists it at once and puts it into tokens issued from now on.
        Upstreams.Consents = [organization];
        Upstreams.TokenOrganizations = [organization];
        Gateway.Time.Advance(TimeSpan.FromSeconds(6));
        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={organization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Upstreams.EttRequests.Count(r => r.Path.EndsWith("/consents")));
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        var lastWalletCall = Upstreams.EttRequests.Last(r => r.Path == "/wallet-api/wallets");
        Assert.Equal($"Bearer {Upstreams.IssuedEttTokens.Last()}", lastWalletCall.HeaderValues("Authorization").Single());
    }

    [Fact]
    public async Task Organization_without_consent_rereads_the_consent_list_at_most_once_per_recheck_interval()
    {
        var organization = Guid.NewGuid();

        for (var i = 0; i < 5; i++) await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={organization}");
        Gateway.Time.Advance(TimeSpan.FromSeconds(6));
        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={organization}");

        Assert.Equal(2, Upstreams.EttRequests.Count(r => r.Path.EndsWith("/consents")));
        Assert.Single(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task Ett_403s_for_an_organization_the_token_covers_cause_no_token_request_and_no_resend()
    {
        // ETT refuses a contract for reasons of its own (another organization's metering point, a trial-only feature):
        // a new token cannot change that, so neither the typed client nor the passthrough renews or re-sends.
        var organization = Guid.NewGuid();
        Upstreams.Consents = [organization];
        Upstreams.TokenOrganizations = [organization];
        Upstreams.EttBehaviour = (context, request) =>
        {
            if (request.Path.EndsWith("consents")) return context.Response.WriteAsJsonAsync(new { result = new[] { new { organizationId = organization } } });
            context.Response.StatusCode = 403;
            return Task.CompletedTask;
        };
        var contract = $"api/certificates/contracts?organizationId={organization}";

        for (var i = 0; i < 3; i++)
        {
            var typed = await EttHttpClient().PostAsync(contract, JsonContent.Create(new { gsrn = "571313100000000013" }));
            var proxied = await Caller.PostAsync($"/ett/{contract}", JsonContent.Create(new { gsrn = "571313100000000013" }));
            Assert.Equal(HttpStatusCode.Forbidden, typed.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, proxied.StatusCode);
        }

        Assert.Single(Upstreams.TokenRequests);
        Assert.Equal(6, Upstreams.EttRequests.Count(r => r.Method == "POST"));
        Assert.Equal(Upstreams.IssuedEttTokens.Single(), Assert.Single(Upstreams.EttRequests.Where(r => r.Method == "POST").Select(r => r.HeaderValues("Authorization").Single()[7..]).Distinct()));
    }

    [Fact]
    public async Task Ett_403_for_an_organization_missing_from_the_token_but_listed_since_renews_once_for_the_typed_client()
    {
        var organization = Guid.NewGuid();
        Upstreams.EttBehaviour = (context, request) =>
        {
            if (request.Path.EndsWith("consents"))
                return context.Response.WriteAsJsonAsync(new { result = Upstreams.Consents.Select(id => new { organizationId = id }) });
            var first = request.HeaderValues("Authorization").Single() == $"Bearer {Upstreams.IssuedEttTokens.First()}";
            if (first)
            {
                // The organization consents while the first request is under way: ETT lists it at once, tokens from now on carry it.
                Upstreams.Consents = [organization];
                Upstreams.TokenOrganizations = [organization];
                Gateway.Time.Advance(TimeSpan.FromSeconds(6));
            }
            context.Response.StatusCode = first ? 403 : 200;
            return Task.CompletedTask;
        };

        var response = await EttHttpClient().GetAsync($"wallet-api/wallets?organizationId={organization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Equal(2, Upstreams.EttRequests.Count(r => r.Path == "/wallet-api/wallets"));
    }

    public static TheoryData<bool, bool, bool, bool> RenewalCases => new()
    {
        // token covers, consent listed, list read after the token, renewal helps
        { true, true, true, false },
        { false, false, true, false },
        { false, true, false, false },
        { false, true, true, true },
    };

    [Theory]
    [MemberData(nameof(RenewalCases))]
    public async Task A_token_is_stale_for_an_organization_only_when_it_lacks_it_and_a_later_consent_list_holds_it(
        bool tokenCovers, bool listed, bool listReadAfterToken, bool stale)
    {
        var organization = Guid.NewGuid();
        Upstreams.TokenOrganizations = tokenCovers ? [organization] : [];
        Upstreams.Consents = listed ? [organization] : [];
        var tokens = Gateway.Services.GetRequiredService<EttTokenProvider>();
        var consents = Gateway.Services.GetRequiredService<EttConsents>();
        var credentials = Gateway.Services.GetRequiredService<EttCredentials>();

        if (!listReadAfterToken) await consents.GetAsync("default", CancellationToken.None);
        var token = await tokens.GetAsync("default", CancellationToken.None);
        if (listReadAfterToken) await consents.GetAsync("default", CancellationToken.None);

        Assert.Equal(stale, await credentials.IsStaleForAsync(token, organization, CancellationToken.None));
        Assert.Single(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task Ett_403_for_an_organization_without_consent_does_not_renew()
    {
        var organization = Guid.NewGuid();
        Upstreams.EttBehaviour = (context, request) =>
        {
            context.Response.StatusCode = request.Path.EndsWith("consents") ? 200 : 403;
            return request.Path.EndsWith("consents") ? context.Response.WriteAsJsonAsync(new { result = Array.Empty<object>() }) : Task.CompletedTask;
        };

        var response = await EttHttpClient().GetAsync($"wallet-api/wallets?organizationId={organization}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Single(Upstreams.TokenRequests);
        Assert.Single(Upstreams.EttRequests, r => r.Path == "/wallet-api/wallets");
    }

    /// <summary>ETT answers 401 to whatever carries the first token it issued (revoked early), and 200 to the rest.</summary>
    private void RefuseTheFirstToken() => Upstreams.EttBehaviour = (context, request) =>
    {
        var firstToken = Upstreams.IssuedEttTokens.First();
        context.Response.StatusCode = request.HeaderValues("Authorization").Single() == $"Bearer {firstToken}" ? 401 : 200;
        return Task.CompletedTask;
    };

    private HttpClient EttHttpClient() =>
        Gateway.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EttRequest.HttpClientName);
}
