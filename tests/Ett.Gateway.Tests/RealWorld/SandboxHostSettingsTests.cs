using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>The standalone sandbox takes its faults as the in-process one does: <c>Sandbox:Faults:N:*</c> from the start, more at run time.</summary>
[Trait("Category", "RealWorld")]
public sealed class SandboxHostSettingsTests : IAsyncLifetime
{
    private SandboxHostProcess _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHostProcess.StartAsync(new Dictionary<string, string>
    {
        ["Sandbox__Faults__0__Kind"] = "Status",
        ["Sandbox__Faults__0__Status"] = "503",
        ["Sandbox__Faults__0__Path"] = "/sandbox/ett-token",
        ["Sandbox__Faults__0__Times"] = "1",
    });

    [RealWorldFact(RealWorldTool.DotnetOnly)]
    public async Task A_configured_fault_applies_from_the_start_and_a_run_time_fault_after_it()
    {
        using var http = new HttpClient { BaseAddress = _sandbox.Address };

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await TokenAsync(http)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(http)).StatusCode);

        var added = await http.PostAsJsonAsync("/sandbox/control/faults", new { kind = "Html", path = "/sandbox/ett-token", times = 1 });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var html = await TokenAsync(http);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(http)).StatusCode);

        var applied = await http.GetFromJsonAsync<JsonElement>("/sandbox/control/faults/applied");
        Assert.Equal(2, applied.GetArrayLength());
        // Status and Html answer without doing the request: only the two served ones reached the token endpoint.
        Assert.Equal(2, (await _sandbox.RequestsAsync()).Count(r => r.Path == "/sandbox/ett-token"));
    }

    private static Task<HttpResponseMessage> TokenAsync(HttpClient http) =>
        http.PostAsync("/sandbox/ett-token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = SandboxSeed.EttClientId,
            ["client_secret"] = SandboxSeed.EttClientSecret,
        }));

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();
}
