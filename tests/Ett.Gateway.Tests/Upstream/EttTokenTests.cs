using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Errors;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Upstream;

public class EttTokenTests : GatewayTest
{
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
    public async Task Ett_401_to_a_proxied_request_is_passed_back_not_replayed_and_the_next_request_gets_a_new_token()
    {
        RefuseTheFirstToken();

        var refused = await Caller.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", JsonContent.Create(new { quantity = 1 }));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
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
    public async Task Ett_403_for_a_consented_organization_renews_the_token_once_for_the_typed_client()
    {
        var organization = Guid.NewGuid();
        Upstreams.Consents = [organization];
        Upstreams.TokenOrganizations = [organization];
        Upstreams.EttBehaviour = (context, request) =>
        {
            var firstToken = Upstreams.IssuedEttTokens.First();
            context.Response.StatusCode = request.Path == "/wallet-api/wallets" && request.HeaderValues("Authorization").Single() == $"Bearer {firstToken}" ? 403 : 200;
            return request.Path.EndsWith("consents") ? context.Response.WriteAsJsonAsync(new { result = new[] { new { organizationId = organization } } }) : Task.CompletedTask;
        };

        var response = await EttHttpClient().GetAsync($"wallet-api/wallets?organizationId={organization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.Equal(2, Upstreams.EttRequests.Count(r => r.Path == "/wallet-api/wallets"));
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
