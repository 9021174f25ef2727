using Ett.Sandbox.Control;
using Ett.Sandbox.Ett;
using Ett.Sandbox.Faults;
using Ett.Sandbox.Identity;
using Ett.Sandbox.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ett.Sandbox;

/// <summary>Hosts a simulator of Energinet's ETT API and a development identity provider.</summary>
public static class SandboxExtensions
{
    /// <summary>Registers the sandbox's state, ETT token service and development identity provider.</summary>
    public static IServiceCollection AddEttSandbox(this IServiceCollection services, Action<SandboxOptions>? configure = null)
    {
        // Configuration section "Sandbox" (e.g. Sandbox:Faults:0:Kind), then the code's own settings.
        var options = services.AddOptions<SandboxOptions>().BindConfiguration("Sandbox");
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SandboxState>();
        services.TryAddSingleton<EttTokenService>();
        services.TryAddSingleton<DevelopmentIdentityProvider>();
        services.TryAddSingleton<SandboxFaults>();
        services.TryAddSingleton<SandboxTraffic>();
        return services;
    }

    /// <summary>
    /// Maps the simulated ETT under <see cref="SandboxOptions.EttPrefix"/>, its token endpoint at
    /// <see cref="SandboxOptions.EttTokenPath"/> and the identity provider under <see cref="SandboxOptions.IdpPrefix"/>.
    /// Every endpoint is anonymous (the sandbox checks its own tokens) and hidden from the host's OpenAPI document. The
    /// control endpoints (faults, ledger, request log, reset) are under <see cref="SandboxOptions.ControlPrefix"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapEttSandbox(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<SandboxOptions>>().Value;
        var tokens = app.ServiceProvider.GetRequiredService<EttTokenService>();

        // Traffic outside faults: a request a fault holds is still in hand.
        var traffic = app.ServiceProvider.GetRequiredService<SandboxTraffic>();
        var faults = new FaultFilter();
        app.MapPost(options.EttTokenPath, (HttpRequest request) => tokens.IssueAsync(request))
            .AllowAnonymous()
            .ExcludeFromDescription()
            .AddEndpointFilter(traffic)
            .AddEndpointFilter(faults);

        var ett = app.MapGroup(options.EttPrefix).AllowAnonymous().ExcludeFromDescription().AddEndpointFilter(traffic).AddEndpointFilter(faults);
        AuthorizationApi.Map(ett);
        CredentialsApi.Map(ett);
        MeasurementsApi.Map(ett);
        ContractsApi.Map(ett);
        ReportsApi.Map(ett);
        WalletApi.Map(ett);
        NotSimulatedApi.Map(ett);

        ControlApi.Map(app.MapGroup(options.ControlPrefix).AllowAnonymous().ExcludeFromDescription());

        var idp = app.MapGroup(options.IdpPrefix).AllowAnonymous().ExcludeFromDescription();
        app.ServiceProvider.GetRequiredService<DevelopmentIdentityProvider>().Map(idp);
        return app;
    }
}
