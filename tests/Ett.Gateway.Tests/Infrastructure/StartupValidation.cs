using Ett.Gateway.Callers;
using Ett.Gateway.Features.Organizations;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// Runs the checks the host runs at start-up (every <c>ValidateOnStart</c> option of the configured concerns) without
/// starting a host. WebApplicationFactory races with a host that fails to start (it may report the disposed service
/// provider instead of the failure), so configuration tests use this; one process test covers the real start.
/// </summary>
public static class StartupValidation
{
    public static OptionsValidationException? Run(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddCallers(configuration);
        services.AddUpstream(configuration);
        services.AddOrganizations(configuration);
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return null;
        }
        catch (OptionsValidationException failure)
        {
            return failure;
        }
    }

    /// <summary>Valid settings for every concern, to spoil one key at a time.</summary>
    public static Dictionary<string, string?> ValidSettings() => new()
    {
        ["Ett:BaseUrl"] = "https://demo.energytrackandtrace.dk",
        ["Ett:TokenUrl"] = "https://login.example.com/token",
        ["Ett:ClientId"] = "client",
        ["Ett:ClientSecret"] = "secret-value",
        ["Callers:Authority"] = "https://login.example.com/",
        ["Callers:Audience"] = "api://ett-gateway",
    };
}
