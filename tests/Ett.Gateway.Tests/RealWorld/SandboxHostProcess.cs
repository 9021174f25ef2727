using System.Net.Http.Json;
using System.Text.Json;
using Ett.Sandbox;
using Ett.Testing;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// The standalone sandbox (<c>src/Ett.Sandbox.Host</c>, the README's <c>dotnet run --project src/Ett.Sandbox.Host</c>;
/// its build beside the tests) as its own process on 127.0.0.1, read through its control endpoints.
/// </summary>
public sealed class SandboxHostProcess : IAsyncDisposable
{
    private static readonly JsonSerializerOptions ControlJson = new(JsonSerializerDefaults.Web);

    private readonly AppProcess _process;
    private readonly HttpClient _control;

    private SandboxHostProcess(AppProcess process)
    {
        _process = process;
        _control = new HttpClient { BaseAddress = process.Address };
    }

    public Uri Address => _process.Address;

    public string Output => _process.Output;

    /// <summary>Starts the host with <paramref name="settings"/> (environment variables, e.g. <c>Sandbox__Faults__0__Kind</c>).</summary>
    public static async Task<SandboxHostProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null) =>
        new(await AppProcess.StartAsync("Ett.Sandbox.Host.dll", settings ?? new Dictionary<string, string>()));

    /// <summary>Every request the sandbox's ETT and ETT token endpoint received (<c>GET /sandbox/control/requests</c>).</summary>
    public async Task<IReadOnlyList<EttRequest>> RequestsAsync() =>
        await _control.GetFromJsonAsync<List<EttRequest>>("/sandbox/control/requests", ControlJson) ?? [];

    /// <summary>One organization's wallet as raw JSON (<c>GET /sandbox/control/ledger</c>), once background work is done.</summary>
    public async Task<string> LedgerAsync(Guid organizationId)
    {
        (await _control.PostAsync("/sandbox/control/idle", null)).EnsureSuccessStatusCode();
        return await _control.GetStringAsync($"/sandbox/control/ledger?organizationId={organizationId}");
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _process.DisposeAsync();
    }
}
