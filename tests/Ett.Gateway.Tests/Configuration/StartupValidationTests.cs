using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Tests.Configuration;

public class StartupValidationTests
{
    [Theory]
    [InlineData("Ett:BaseUrl", "not a url", "Ett:BaseUrl")]
    [InlineData("Ett:TokenUrl", "", "Ett:TokenUrl")]
    [InlineData("Ett:ClientSecret", "", "Ett:ClientSecret")]
    [InlineData("Ett:ApiVersions:Wallets", "1", "Ett:ApiVersions:Wallets")]
    [InlineData("Callers:Audience", "", "Callers:Audience")]
    [InlineData("Callers:Organizations:app:0", "not-a-guid", "Callers:Organizations:app")]
    public async Task Bad_configuration_fails_start_up_naming_the_key(string key, string value, string named)
    {
        await using var upstreams = await FakeUpstreams.StartAsync();
        await using var gateway = new GatewayFactory(upstreams, builder => builder.UseSetting(key, value));

        var failure = Record.Exception(() => gateway.CreateClient());

        var validation = Assert.IsType<OptionsValidationException>(failure, exactMatch: false);
        Assert.Contains(named, validation.Message);
    }
}
