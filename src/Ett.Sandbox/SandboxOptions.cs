using Ett.Sandbox.Faults;

namespace Ett.Sandbox;

/// <summary>Where the sandbox is mapped and how long its tokens live.</summary>
public sealed class SandboxOptions
{
    /// <summary>Path prefix of the simulated ETT API; ETT's own paths follow it (e.g. <c>/sandbox/ett/wallet-api/wallets</c>).</summary>
    public string EttPrefix { get; set; } = "/sandbox/ett";

    /// <summary>Path of the simulated ETT (B2C) client-credentials token endpoint.</summary>
    public string EttTokenPath { get; set; } = "/sandbox/ett-token";

    /// <summary>Path prefix of the development identity provider for callers of the gateway.</summary>
    public string IdpPrefix { get; set; } = "/sandbox/idp";

    /// <summary>Issuer of caller tokens; when null it is <c>{scheme}://{host}{IdpPrefix}</c> of the request.</summary>
    public string? IdpIssuer { get; set; }

    /// <summary>Audience written into caller tokens.</summary>
    public string IdpAudience { get; set; } = "api://ett-gateway";

    /// <summary>Lifetime of tokens from the ETT token endpoint.</summary>
    public TimeSpan EttTokenLifetime { get; set; } = TimeSpan.FromSeconds(3600);

    /// <summary>Path prefix of the sandbox's control endpoints (faults, ledger, reset, request log).</summary>
    public string ControlPrefix { get; set; } = "/sandbox/control";

    /// <summary>Faults in force from the start (configuration <c>Sandbox:Faults</c>); more can be added at run time.</summary>
    public List<SandboxFault> Faults { get; set; } = [];

    /// <summary>Lifetime of caller tokens from the development identity provider.</summary>
    public TimeSpan CallerTokenLifetime { get; set; } = TimeSpan.FromSeconds(3600);
}
