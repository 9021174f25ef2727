using Ett.Gateway.Tests.Infrastructure;

namespace Ett.Gateway.Tests.Callers;

public class CallerStartupValidationTests
{
    private const string AppId = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
    private const string Tenant = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";

    private static Dictionary<string, string?> EntraSettings(params (string Key, string? Value)[] changes)
    {
        var settings = StartupValidation.ValidSettings();
        settings.Remove("Callers:Authority");
        settings.Remove("Callers:Audience");
        settings["AzureAd:Instance"] = "https://login.microsoftonline.com/";
        settings["AzureAd:TenantId"] = Tenant;
        settings["AzureAd:ClientId"] = AppId;
        foreach (var (key, value) in changes)
        {
            if (value is null) settings.Remove(key);
            else settings[key] = value;
        }
        return settings;
    }

    [Fact]
    public void Complete_Entra_settings_pass()
    {
        Assert.Null(StartupValidation.Run(EntraSettings()));
        Assert.Null(StartupValidation.Run(EntraSettings(("AzureAd:Audience", "api://ett-gateway.contoso.com"))));
        Assert.Null(StartupValidation.Run(EntraSettings(("AzureAd:TenantId", "organizations"), ("AzureAd:AllowedTenants:0", Tenant))));
    }

    public static TheoryData<string, string?, string> EntraMistakes => new()
    {
        { "AzureAd:TenantId", null, "AzureAd:TenantId must be set" },
        { "AzureAd:Instance", null, "AzureAd:Instance must be set" },
        { "AzureAd:Instance", "http://login.microsoftonline.com/", "AzureAd:Instance must be the https address" },
        { "AzureAd:Instance", "https://login.microsoftonline.com/contoso/", "AzureAd:Instance must be the https address" },
        { "AzureAd:ClientId", null, "AzureAd:ClientId must be set" },
        { "AzureAd:ClientId", "ett-gateway", "AzureAd:ClientId 'ett-gateway' must be" },
        { "AzureAd:TenantId", "organizations", "AzureAd:AllowedTenants:N" },
        { "AzureAd:TenantId", "common", "AzureAd:AllowedTenants:N" },
        { "AzureAd:TenantId", "consumers", "AzureAd:TenantId 'consumers'" },
        { "AzureAd:TenantId", "contoso.onmicrosoft.com", "AzureAd:TenantId 'contoso.onmicrosoft.com' is not a tenant id" },
        { "AzureAd:AllowedTenants:0", "contoso", "AzureAd:AllowedTenants:0" },
        { "AzureAd:AllowedTenants:0", "7a2b3c4d-5e6f-4071-8b8c-9d0e1f2a3b4c", "AzureAd:AllowedTenants does not include AzureAd:TenantId" },
        { "AzureAd:Authority", "https://login.microsoftonline.com/common/v2.0", "AzureAd:Authority" },
        { "AzureAd:SignUpSignInPolicyId", "B2C_1_signin", "AzureAd:SignUpSignInPolicyId" },
        { "AzureAd:Audience", "ett gateway", "AzureAd:Audience" },
    };

    [Theory]
    [MemberData(nameof(EntraMistakes))]
    public void Each_incomplete_or_contradictory_AzureAd_setting_stops_start_up_naming_the_key(string key, string? value, string message)
    {
        var failure = StartupValidation.Run(EntraSettings((key, value)));

        Assert.NotNull(failure);
        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public void A_tenant_id_without_a_client_id_is_not_taken_for_the_generic_issuer()
    {
        var settings = StartupValidation.ValidSettings();
        settings["AzureAd:TenantId"] = Tenant;

        var failure = StartupValidation.Run(settings);

        Assert.NotNull(failure);
        Assert.Contains("AzureAd:ClientId must be set", failure.Message);
    }

    public static TheoryData<string, string, string> CallerMistakes => new()
    {
        { "Callers:KeyRefreshInterval", "00:00:00", "Callers:KeyRefreshInterval" },
        { "Callers:KeyAutomaticRefreshInterval", "00:00:10", "Callers:KeyAutomaticRefreshInterval" },
        { "Callers:RoleClaims:0", "realm_access..roles", "Callers:RoleClaims:0" },
        { "Callers:Audiences:0", " ", "Callers:Audiences:0" },
    };

    [Theory]
    [MemberData(nameof(CallerMistakes))]
    public void Bad_caller_settings_stop_start_up_naming_the_key(string key, string value, string named)
    {
        var settings = StartupValidation.ValidSettings();
        settings[key] = value;

        var failure = StartupValidation.Run(settings);

        Assert.NotNull(failure);
        Assert.Contains(named, failure.Message);
    }
}
