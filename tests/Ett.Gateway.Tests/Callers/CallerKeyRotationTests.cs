using System.Net;
using System.Security.Cryptography;
using Ett.Gateway.Callers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.Callers;

/// <summary>Defaults: <c>Callers:KeyRefreshInterval</c> 30 s, <c>Callers:KeyAutomaticRefreshInterval</c> 1 h, on the gateway's clock.</summary>
public class CallerKeyRotationTests : GatewayTest
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_rotated_key_is_accepted_at_the_first_token_it_signs()
    {
        await AcceptedAsync(Upstreams.CallerToken());
        Gateway.Time.Advance(RefreshInterval);

        Upstreams.RotateCallerKey("rotated-key");

        await AcceptedAsync(Upstreams.CallerToken());
        Assert.Equal(2, Upstreams.JwksRequests.Count);
    }

    [Fact]
    public async Task A_rotated_key_is_accepted_within_the_refresh_interval_however_many_junk_tokens_came_first()
    {
        await AcceptedAsync(Upstreams.CallerToken());
        Gateway.Time.Advance(RefreshInterval);

        // Junk: valid claims, signed by keys the issuer never published, with unknown or no key ids.
        for (var i = 0; i < 20; i++)
        {
            var junk = Upstreams.CallerToken(signingKey: new RsaSecurityKey(RSA.Create(2048)) { KeyId = i % 2 == 0 ? $"junk-{i}" : null });
            await RefusedAsync(junk);
        }
        Assert.Equal(2, Upstreams.JwksRequests.Count);

        Upstreams.RotateCallerKey("rotated-key");
        var genuine = Upstreams.CallerToken();
        Gateway.Time.Advance(RefreshInterval - TimeSpan.FromSeconds(1));
        await RefusedAsync(genuine);
        await RefusedAsync(Upstreams.CallerToken(signingKey: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "junk-late" }));
        Assert.Equal(2, Upstreams.JwksRequests.Count);

        Gateway.Time.Advance(TimeSpan.FromSeconds(1));
        await AcceptedAsync(genuine);
        Assert.Equal(3, Upstreams.JwksRequests.Count);
    }

    [Fact]
    public async Task A_removed_key_is_refused_after_the_automatic_refresh_and_the_change_is_signalled()
    {
        var keys = Gateway.Services.GetRequiredService<CallerSigningKeys>();
        var old = Upstreams.CallerToken();
        await AcceptedAsync(old);
        var version = keys.Version;
        var changed = keys.GetChangeToken();

        var retired = Upstreams.PublishedCallerKeys.Single();
        Upstreams.RotateCallerKey("rotated-key");
        Upstreams.PublishedCallerKeys.Remove(retired);
        Gateway.Time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        await AcceptedAsync(old);
        Assert.False(changed.HasChanged);

        Gateway.Time.Advance(TimeSpan.FromSeconds(1));
        await RefusedAsync(old);
        await AcceptedAsync(Upstreams.CallerToken());

        Assert.Equal(version + 1, keys.Version);
        Assert.True(changed.HasChanged);
        Assert.Equal(2, Upstreams.JwksRequests.Count);
    }

    private async Task AcceptedAsync(string token)
    {
        var before = Upstreams.EttRequests.Count;
        var response = await Gateway.CreateCaller(token).GetAsync("/ett/wallet-api/wallets");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before + 1, Upstreams.EttRequests.Count);
    }

    private async Task RefusedAsync(string token)
    {
        var before = Upstreams.EttRequests.Count;
        var response = await Gateway.CreateCaller(token).GetAsync("/ett/wallet-api/wallets");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(before, Upstreams.EttRequests.Count);
    }
}
