using System.Net;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using static Ett.Gateway.Tests.Features.FeatureTestSettings;

namespace Ett.Gateway.Tests.Features.Organizations;

public class OrganizationsTests
{
    private const string ConsentsPath = "/api/authorization/client/consents";

    [Fact]
    public async Task Organizations_of_every_configured_client_are_listed_with_the_client_that_serves_each()
    {
        await using var env = await SandboxGateway.StartAsync(settings: BothEttClients());
        var caller = await env.CreateCallerAsync();

        var body = await (await caller.GetAsync("/organizations")).JsonAsync(HttpStatusCode.OK);

        var organizations = body.GetProperty("organizations").EnumerateArray()
            .Select(o => (o.GetProperty("id").GetGuid(), o.GetProperty("ettClient").GetString()))
            .ToArray();
        Assert.Equal(
        [
            (SandboxSeed.ProducerOrganizationId, TrialClient),
            (SandboxSeed.ConsumerOrganizationId, TrialClient),
            (SandboxSeed.TraderOrganizationId, TrialClient),
            (SandboxSeed.NormalProducerOrganizationId, NormalClient),
        ], organizations);
        var producer = body.GetProperty("organizations")[0];
        Assert.Equal("Sandbox Vindkraft A/S", producer.GetProperty("name").GetString());
        Assert.Equal("39315042", producer.GetProperty("tin").GetString());
    }

    [Fact]
    public async Task Organizations_make_one_consents_call_per_configured_client_and_reuse_it_on_repeat()
    {
        await using var env = await SandboxGateway.StartAsync(settings: BothEttClients());
        var caller = await env.CreateCallerAsync();

        await (await caller.GetAsync("/organizations")).JsonAsync(HttpStatusCode.OK);
        var first = env.Sandbox.State.CallsTo("GET", ConsentsPath);
        await (await caller.GetAsync("/organizations")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal(2, first);
        Assert.Equal(2, env.Sandbox.State.CallsTo("GET", ConsentsPath));
        Assert.Equal(2, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Organizations_show_only_those_the_caller_may_act_for()
    {
        await using var env = await SandboxGateway.StartAsync(settings: CallersRestrictedTo(SandboxSeed.ConsumerOrganizationId));
        var reader = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var body = await (await reader.GetAsync("/organizations")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal([SandboxSeed.ConsumerOrganizationId], body.GetProperty("organizations").EnumerateArray().Select(o => o.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Organization_that_consents_appears_once_the_consent_cache_expires()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        await (await caller.GetAsync("/organizations")).JsonAsync(HttpStatusCode.OK);

        env.Sandbox.State.GrantConsent(SandboxSeed.EttClientId, SandboxSeed.UnconsentedOrganizationId);
        env.Time.Advance(TimeSpan.FromMinutes(2));
        var body = await (await caller.GetAsync("/organizations")).JsonAsync(HttpStatusCode.OK);

        Assert.Contains(SandboxSeed.UnconsentedOrganizationId, body.GetProperty("organizations").EnumerateArray().Select(o => o.GetProperty("id").GetGuid()));
    }
}

public class OnboardingLinkTests
{
    private const string Allowed = "https://app.example.com/onboarding";

    private static Dictionary<string, string?> AllowList(Dictionary<string, string?>? more = null)
    {
        var settings = more ?? [];
        settings["Onboarding:AllowedRedirectUrls:0"] = Allowed;
        return settings;
    }

    [Fact]
    public async Task Onboarding_link_is_etts_consent_page_on_the_configured_host_with_the_client_id_and_encoded_redirect()
    {
        await using var env = await SandboxGateway.StartAsync(settings: AllowList());
        var reader = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var body = await (await reader.GetAsync("/organizations/onboarding-link?redirectUrl=https%3A%2F%2Fapp.example.com%2Fonboarding%2Fdone%3Fstate%3D1&language=en"))
            .JsonAsync(HttpStatusCode.OK);

        var host = env.Sandbox.EttBaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Equal($"{host}/en/onboarding?client-id={SandboxSeed.EttClientId}&redirect-url=https%3A%2F%2Fapp.example.com%2Fonboarding%2Fdone%3Fstate%3D1",
            body.GetProperty("url").GetString());
        Assert.Equal("default", body.GetProperty("ettClient").GetString());
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Onboarding_link_for_a_named_client_carries_that_clients_id()
    {
        await using var env = await SandboxGateway.StartAsync(settings: AllowList(BothEttClients()));
        var caller = await env.CreateCallerAsync();

        var body = await (await caller.GetAsync($"/organizations/onboarding-link?redirectUrl={Allowed}&language=da&client=NORMAL"))
            .JsonAsync(HttpStatusCode.OK);

        Assert.Contains($"/da/onboarding?client-id={SandboxSeed.SecondEttClientId}&", body.GetProperty("url").GetString());
        Assert.Equal(NormalClient, body.GetProperty("ettClient").GetString());
    }

    [Theory]
    [InlineData("language=da", "redirectUrl")]
    [InlineData("redirectUrl=http://app.example.com/onboarding&language=da", "redirectUrl")]
    [InlineData("redirectUrl=/onboarding&language=da", "redirectUrl")]
    [InlineData("redirectUrl=https://app.example.com/onboarding-evil&language=da", "redirectUrl")]
    [InlineData("redirectUrl=https://app.example.com.evil.net/onboarding&language=da", "redirectUrl")]
    [InlineData("redirectUrl=https://app.example.com:8443/onboarding&language=da", "redirectUrl")]
    [InlineData("redirectUrl=https://app.example.com/onboarding/../admin&language=da", "redirectUrl")]
    [InlineData("redirectUrl=https://app.example.com/onboarding/%252e%252e/admin&language=da", "redirectUrl")]
    [InlineData("redirectUrl=https://app.example.com/onboarding", "language")]
    [InlineData("redirectUrl=https://app.example.com/onboarding&language=de", "language")]
    [InlineData("redirectUrl=https://app.example.com/onboarding&language=da&client=nobody", "client")]
    public async Task Onboarding_link_rejects_invalid_parameters(string query, string field)
    {
        await using var env = await SandboxGateway.StartAsync(settings: AllowList());
        var caller = await env.CreateCallerAsync();

        var response = await caller.GetAsync($"/organizations/onboarding-link?{query}");

        Assert.Equal([field], await response.ValidationErrorsAsync());
    }

    [Fact]
    public async Task Onboarding_link_without_an_allow_list_refuses_every_redirect()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.GetAsync($"/organizations/onboarding-link?redirectUrl={Allowed}&language=da");

        Assert.Equal(["redirectUrl"], await response.ValidationErrorsAsync());
    }

    [Theory]
    [InlineData("http://app.example.com/")]
    [InlineData("not a url")]
    [InlineData("https://app.example.com/onboarding?state=1")]
    [InlineData("https://user:pw@app.example.com/")]
    public void Bad_redirect_allow_list_entry_fails_start_up_naming_the_key(string entry)
    {
        var settings = StartupValidation.ValidSettings();
        settings["Onboarding:AllowedRedirectUrls:0"] = "https://fine.example.com/";
        settings["Onboarding:AllowedRedirectUrls:1"] = entry;

        var failure = StartupValidation.Run(settings);

        Assert.NotNull(failure);
        Assert.Contains("Onboarding:AllowedRedirectUrls:1", failure.Message);
        Assert.DoesNotContain("Onboarding:AllowedRedirectUrls:0", failure.Message);
        Assert.DoesNotContain("pw", failure.Message);
    }
}

public class OnboardingLinkHostTests : GatewayTest
{
    protected override void Configure(IWebHostBuilder builder) => builder
        .UseSetting("Ett:BaseUrl", "https://demo.energytrackandtrace.dk/")
        .UseSetting("Onboarding:AllowedRedirectUrls:0", "https://app.example.com/");

    [Fact]
    public async Task Onboarding_link_uses_the_host_of_the_configured_ett_environment()
    {
        var body = await (await Caller.GetAsync("/organizations/onboarding-link?redirectUrl=https://app.example.com/&language=da")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal($"https://demo.energytrackandtrace.dk/da/onboarding?client-id={FakeUpstreams.EttClientId}&redirect-url=https%3A%2F%2Fapp.example.com%2F",
            body.GetProperty("url").GetString());
        Assert.Empty(Upstreams.EttRequests);
    }
}
