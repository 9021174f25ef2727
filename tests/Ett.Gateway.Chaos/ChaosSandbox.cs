using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ett.Sandbox;
using Ett.Sandbox.Faults;
using Ett.Testing;

namespace Ett.Gateway.Chaos;

/// <summary>
/// The standalone sandbox (<c>src/Ett.Sandbox.Host</c>, built beside the tests) as its own process on the system clock,
/// read and steered only through its HTTP control endpoints (<c>/sandbox/control/*</c>): faults, request log, ledger, idle.
/// </summary>
internal sealed class ChaosSandbox : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly AppProcess process;
    private readonly HttpClient http;
    private readonly CancellationToken stop;

    private ChaosSandbox(AppProcess process, CancellationToken stop)
    {
        this.process = process;
        this.stop = stop;
        // No timeout of its own: the run's one safety limit (stop) cancels every call.
        http = new HttpClient { BaseAddress = process.Address, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Root of the sandbox, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address => process.Address;

    public string EttBaseUrl => new Uri(Address, "/sandbox/ett/").AbsoluteUri;
    public string EttTokenUrl => new Uri(Address, "/sandbox/ett-token").AbsoluteUri;

    /// <summary>The host names its identity provider after the address it listens on.</summary>
    public string IdpIssuer => new Uri(Address, "/sandbox/idp").AbsoluteUri;

    public string Tail => process.Output;

    public static async Task<ChaosSandbox> StartAsync(CancellationToken stop) => new(await AppProcess.StartAsync("Ett.Sandbox.Host.dll", new Dictionary<string, string>
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
    }), stop);

    public async Task<Guid> AddFaultAsync(SandboxFault fault)
    {
        using var response = await http.PostAsJsonAsync("/sandbox/control/faults", fault, Json, stop);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("id").GetGuid();
    }

    public async Task ClearFaultsAsync() => (await http.DeleteAsync("/sandbox/control/faults", stop)).EnsureSuccessStatusCode();

    public async Task<int> ActiveFaultsAsync() =>
        (await http.GetFromJsonAsync<List<JsonElement>>("/sandbox/control/faults", Json, stop))!.Count;

    public async Task<IReadOnlyList<AppliedSandboxFault>> AppliedFaultsAsync() =>
        await http.GetFromJsonAsync<List<AppliedSandboxFault>>("/sandbox/control/faults/applied", Json, stop) ?? [];

    public async Task<IReadOnlyList<EttRequest>> RequestsAsync() =>
        await http.GetFromJsonAsync<List<EttRequest>>("/sandbox/control/requests", Json, stop) ?? [];

    /// <summary>Answers once ETT has nothing in hand: no request running (held by a fault included), no transfer or claim queued.</summary>
    public async Task IdleAsync()
    {
        using var response = await http.PostAsync("/sandbox/control/idle", null, stop);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>One wallet, once ETT has nothing in hand.</summary>
    public async Task<SandboxWalletLedger> LedgerAsync(Guid organizationId)
    {
        await IdleAsync();
        return (await http.GetFromJsonAsync<SandboxWalletLedger>($"/sandbox/control/ledger?organizationId={organizationId}", Json, stop))!;
    }

    /// <summary>A token of the development caller with every permission.</summary>
    public async Task<string> CallerTokenAsync()
    {
        using var response = await http.PostAsync("/sandbox/idp/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = SandboxSeed.CallerClientId,
            ["client_secret"] = SandboxSeed.CallerClientSecret,
        }), stop);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await process.DisposeAsync();
    }
}
