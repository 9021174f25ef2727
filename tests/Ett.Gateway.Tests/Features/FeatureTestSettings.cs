using System.Net;
using System.Text.Json;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Features;

/// <summary>Gateway settings and assertions the composite-feature tests share.</summary>
internal static class FeatureTestSettings
{
    public const string TrialClient = "trial";
    public const string NormalClient = "normal";

    /// <summary>Both sandbox ETT clients: the trial one first, then the normal (non-trial) one.</summary>
    public static Dictionary<string, string?> BothEttClients() => new()
    {
        ["Ett:ClientId"] = null,
        ["Ett:ClientSecret"] = null,
        ["Ett:Clients:0:Name"] = TrialClient,
        ["Ett:Clients:0:ClientId"] = SandboxSeed.EttClientId,
        ["Ett:Clients:0:ClientSecret"] = SandboxSeed.EttClientSecret,
        ["Ett:Clients:1:Name"] = NormalClient,
        ["Ett:Clients:1:ClientId"] = SandboxSeed.SecondEttClientId,
        ["Ett:Clients:1:ClientSecret"] = SandboxSeed.SecondEttClientSecret,
    };

    /// <summary>Both sandbox callers (full and read-only) may act for <paramref name="organizationId"/> only.</summary>
    public static Dictionary<string, string?> CallersRestrictedTo(Guid organizationId) => new()
    {
        [$"Callers:Organizations:{SandboxSeed.ReaderClientId}:0"] = organizationId.ToString(),
        [$"Callers:Organizations:{SandboxSeed.CallerClientId}:0"] = organizationId.ToString(),
    };

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {expected}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts a problem of the given status and stable type and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var problem = await response.JsonAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://ett-gateway/problems/" + type, problem.GetProperty("type").GetString());
        return problem;
    }

    /// <summary>The names in a validation problem's <c>errors</c>.</summary>
    public static async Task<string[]> ValidationErrorsAsync(this HttpResponseMessage response)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        return [.. problem.GetProperty("errors").EnumerateObject().Select(e => e.Name)];
    }

    /// <summary>Requests ETT received on a path ending in <paramref name="path"/> (token requests are never counted).</summary>
    public static int CallsTo(this SandboxState state, string method, string path) =>
        state.Requests.Count(r => r.Method == method && r.Path.EndsWith(path, StringComparison.Ordinal));

    public static int EttApiCalls(this SandboxState state) =>
        state.Requests.Count(r => !r.Path.EndsWith("ett-token", StringComparison.Ordinal));
}
