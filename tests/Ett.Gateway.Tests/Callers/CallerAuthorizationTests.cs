using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Callers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Callers;

/// <summary>
/// <see cref="CallerAuthorization"/>: a request its permission check grants goes on without the framework's
/// authorization; every other request, and every request once someone else could judge, goes the framework's way.
/// </summary>
public class CallerAuthorizationTests : GatewayTest
{
    private static readonly Guid Other = Guid.Parse("ca110000-0000-4000-8000-00000000000b");
    private readonly ConcurrentQueue<string> _decidedBy = new();

    private string Wallets(Guid organization) => $"/ett/wallet-api/wallets?organizationId={organization}";

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Callers:Organizations:one-org-app:0", Upstreams.OwnOrganization.ToString());
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new DecidedBy(_decidedBy)));
    }

    private HttpClient OneOrganization(params string[] roles) =>
        Gateway.CreateCaller(Upstreams.CallerToken(clientId: "one-org-app", roles: roles.Length == 0 ? ["Ett.Read"] : roles));

    [Fact]
    public async Task A_granted_request_is_let_through_by_the_permission_check_alone()
    {
        var passthrough = await OneOrganization().GetAsync(Wallets(Upstreams.OwnOrganization));
        var composite = await OneOrganization().GetAsync($"/organizations/{Upstreams.OwnOrganization}/operations");

        Assert.Equal(HttpStatusCode.OK, passthrough.StatusCode);
        Assert.Equal(HttpStatusCode.OK, composite.StatusCode);
        Assert.Equal([DecidedBy.Gateway, DecidedBy.Gateway], _decidedBy);
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Refused_and_anonymous_requests_are_decided_by_the_framework_as_before()
    {
        var otherOrganization = await OneOrganization().GetAsync(Wallets(Other));
        var noOrganization = await OneOrganization().GetAsync("/ett/wallet-api/wallets");
        var noPermission = await OneOrganization("Ett.Read").PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", JsonContent.Create(new { }));
        var anonymous = await Gateway.CreateClient().GetAsync(Wallets(Upstreams.OwnOrganization));

        Assert.Equal(HttpStatusCode.Forbidden, otherOrganization.StatusCode);
        Assert.Contains(Other.ToString(), await DetailOf(otherOrganization));
        Assert.Equal(HttpStatusCode.BadRequest, noOrganization.StatusCode);
        Assert.Contains("organizationId", await DetailOf(noOrganization));
        Assert.Equal(HttpStatusCode.Forbidden, noPermission.StatusCode);
        Assert.Contains("Ett.Transfer", await DetailOf(noPermission));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(4, _decidedBy.Count);
        Assert.All(_decidedBy, d => Assert.Equal(DecidedBy.Framework, d));
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    private static async Task<string> DetailOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
}

/// <summary>Someone else's handler that judges every requirement: it is asked on every request, and its refusal holds.</summary>
public class CallerAuthorizationWithAnotherJudgeTests : GatewayTest
{
    private readonly ConcurrentQueue<string> _decidedBy = new();
    private readonly RefusesWhenTold _judge = new();

    protected override void Configure(IWebHostBuilder builder) => builder.ConfigureTestServices(services =>
    {
        services.AddSingleton<IStartupFilter>(new DecidedBy(_decidedBy));
        services.AddSingleton<IAuthorizationHandler>(_judge);
    });

    [Fact]
    public async Task Its_refusal_stops_a_request_the_permission_check_grants()
    {
        var path = $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}";

        var granted = await Caller.GetAsync(path);
        _judge.Refuse = true;
        var refused = await Caller.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(2, _judge.Asked);
        Assert.All(_decidedBy, d => Assert.Equal(DecidedBy.Framework, d));
        Assert.Single(Upstreams.EttRequests);
    }

    private sealed class RefusesWhenTold : IAuthorizationHandler
    {
        private int _asked;

        public bool Refuse { get; set; }

        public int Asked => _asked;

        public Task HandleAsync(AuthorizationHandlerContext context)
        {
            Interlocked.Increment(ref _asked);
            if (Refuse) context.Fail();
            return Task.CompletedTask;
        }
    }
}

/// <summary>What can keep or end the shortcut besides another judge: a handler of its own requirements, a policy evaluator, a changed policy.</summary>
public class CallerAuthorizationSetupTests
{
    private sealed record OtherRequirement : IAuthorizationRequirement;

    private sealed class OtherRequirementHandler : AuthorizationHandler<OtherRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OtherRequirement requirement)
        {
            context.Fail();
            return Task.CompletedTask;
        }
    }

    private sealed class CountingPolicyEvaluator(IAuthorizationService authorization) : PolicyEvaluator(authorization)
    {
        public static int Authorized;

        public override Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource)
        {
            Interlocked.Increment(ref Authorized);
            return base.AuthorizeAsync(policy, authenticationResult, context, resource);
        }
    }

    private static async Task<(HttpStatusCode Status, string DecidedBy, int EttRequests)> CallWith(Action<IServiceCollection> services)
    {
        await using var upstreams = await FakeUpstreams.StartAsync();
        var decidedBy = new ConcurrentQueue<string>();
        await using var gateway = new GatewayFactory(upstreams, builder => builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<IStartupFilter>(new DecidedBy(decidedBy));
            services(s);
        }));
        var response = await gateway.CreateCaller(upstreams.CallerToken()).GetAsync($"/ett/wallet-api/wallets?organizationId={upstreams.OwnOrganization}");
        return (response.StatusCode, decidedBy.Single(), upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task A_handler_of_another_requirement_keeps_the_shortcut() =>
        Assert.Equal((HttpStatusCode.OK, DecidedBy.Gateway, 1), await CallWith(s => s.AddSingleton<IAuthorizationHandler, OtherRequirementHandler>()));

    [Fact]
    public async Task A_policy_evaluator_of_someone_else_is_asked_on_every_request()
    {
        var before = CountingPolicyEvaluator.Authorized;

        Assert.Equal((HttpStatusCode.OK, DecidedBy.Framework, 1), await CallWith(s => s.AddSingleton<IPolicyEvaluator, CountingPolicyEvaluator>()));
        Assert.Equal(before + 1, CountingPolicyEvaluator.Authorized);
    }

    [Fact]
    public async Task A_permission_policy_given_one_more_requirement_is_judged_whole()
    {
        var outcome = await CallWith(s => s.AddSingleton<IAuthorizationHandler, OtherRequirementHandler>()
            .Configure<AuthorizationOptions>(o => o.AddPolicy(CallerPolicies.Read, p => p.RequireAuthenticatedUser()
                .AddRequirements(new EttPermissionRequirement(CallerPolicies.Read), new OtherRequirement()))));

        Assert.Equal((HttpStatusCode.Forbidden, DecidedBy.Framework, 0), outcome);
    }
}

/// <summary>Records, after the whole pipeline, which authorization let the request on or answered it.</summary>
internal sealed class DecidedBy(ConcurrentQueue<string> decided) : IStartupFilter
{
    public const string Gateway = "gateway";
    public const string Framework = "framework";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            await inner(context);
            if (context.Items.TryGetValue(CallerAuthorization.EndpointInvoked, out var marker))
                decided.Enqueue(ReferenceEquals(marker, CallerAuthorization.Granted) ? Gateway : Framework);
        });
        next(app);
    };
}
