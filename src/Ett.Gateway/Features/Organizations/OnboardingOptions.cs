using Microsoft.Extensions.Options;

namespace Ett.Gateway.Features.Organizations;

/// <summary>Consent onboarding: <c>Onboarding:*</c> in configuration.</summary>
internal sealed class OnboardingOptions
{
    public const string Section = "Onboarding";

    /// <summary>
    /// Where ETT may send the organization's user back after consenting. A redirect URL is allowed when it has the same
    /// scheme, host and port as an entry and its path is the entry's path or lies below it (a prefix that ends at a path
    /// segment, so <c>https://app.example.com/onboarding</c> allows <c>…/onboarding/done?state=1</c> but neither
    /// <c>…/onboarding-evil</c> nor <c>https://app.example.com.evil.net/onboarding</c>). Empty: every redirect is refused.
    /// </summary>
    public List<string> AllowedRedirectUrls { get; set; } = [];

    public bool Allows(Uri redirect) => AllowedRedirectUrls.Any(entry =>
        Uri.TryCreate(entry, UriKind.Absolute, out var allowed)
        && redirect.Scheme == allowed.Scheme
        && string.Equals(redirect.Host, allowed.Host, StringComparison.OrdinalIgnoreCase)
        && redirect.Port == allowed.Port
        && (redirect.AbsolutePath == allowed.AbsolutePath
            || redirect.AbsolutePath.StartsWith(allowed.AbsolutePath.TrimEnd('/') + "/", StringComparison.Ordinal)));
}

/// <summary>
/// Fails start-up on an allow-list entry that could never match safely, naming the key to fix (not the value: a URL
/// with user info would carry a credential into the log).
/// </summary>
internal sealed class OnboardingOptionsValidator : IValidateOptions<OnboardingOptions>
{
    public ValidateOptionsResult Validate(string? name, OnboardingOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.AllowedRedirectUrls.Count; i++)
        {
            var entry = options.AllowedRedirectUrls[i];
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || url.Host.Length == 0)
                failures.Add($"{OnboardingOptions.Section}:AllowedRedirectUrls:{i} must be an absolute https URL.");
            else if (url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
                failures.Add($"{OnboardingOptions.Section}:AllowedRedirectUrls:{i} must have no user info, query or fragment: entries match by origin and path.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
