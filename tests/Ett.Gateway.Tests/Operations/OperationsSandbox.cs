using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ett.Gateway.Operations;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Operations;

/// <summary>
/// The ETT sandbox plus gateway instances that share one operations store (a SQLite directory unless settings say
/// otherwise) and one fake clock: stopping one and starting another is a gateway restart. The worker's timer is
/// parked (one-day interval); tests run its iterations with <see cref="RunWorkerAsync"/>.
/// </summary>
public sealed class OperationsSandbox : IAsyncDisposable
{
    public static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    public static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;
    public static readonly Guid Trader = SandboxSeed.TraderOrganizationId;

    private readonly List<GatewayFactory> gateways = [];
    private readonly Dictionary<string, string?> settings;
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("ett-operations-test-").FullName;

    private OperationsSandbox(SandboxServer sandbox, FakeTimeProvider time, IReadOnlyDictionary<string, string?>? extra)
    {
        Sandbox = sandbox;
        Time = time;
        settings = new Dictionary<string, string?>
        {
            ["Ett:BaseUrl"] = sandbox.EttBaseAddress.AbsoluteUri,
            ["Ett:TokenUrl"] = sandbox.EttTokenUrl.AbsoluteUri,
            ["Ett:ClientId"] = SandboxSeed.EttClientId,
            ["Ett:ClientSecret"] = SandboxSeed.EttClientSecret,
            ["Callers:Authority"] = sandbox.IdpIssuer,
            ["Callers:Audience"] = sandbox.Options.IdpAudience,
            ["Operations:DataDirectory"] = dataDirectory,
            ["Operations:WorkerInterval"] = "1.00:00:00",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
    }

    public SandboxServer Sandbox { get; }
    public SandboxState Ett => Sandbox.State;
    public FakeTimeProvider Time { get; }

    /// <summary>The most recently started gateway instance.</summary>
    public GatewayFactory Gateway => gateways[^1];

    public static async Task<OperationsSandbox> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var time = TestClock.Create();
        return new OperationsSandbox(await SandboxServer.StartAsync(time), time, settings);
    }

    /// <summary>Starts another gateway instance on the same store, ETT and clock; <paramref name="services"/> can replace its parts.</summary>
    public GatewayFactory StartGateway(Action<IServiceCollection>? services = null)
    {
        var gateway = new GatewayFactory(settings, Time,
            builder => builder.ConfigureTestServices(collection => services?.Invoke(collection)));
        gateways.Add(gateway);
        return gateway;
    }

    /// <summary>Stops an instance as a crash would leave it: whatever it journaled stays, nothing more is done.</summary>
    public async Task StopAsync(GatewayFactory gateway) => await gateway.DisposeAsync();

    /// <summary>
    /// A caller of the instance (starting it). Returns once the worker's start-up iteration is over, so that it never
    /// runs interleaved with what the test does next.
    /// </summary>
    public async Task<HttpClient> CallerAsync(GatewayFactory? gateway = null)
    {
        var caller = (gateway ?? Gateway).CreateCaller(await Sandbox.GetCallerTokenAsync());
        await RunWorkerAsync(gateway);
        return caller;
    }

    public static HttpRequestMessage Post(string path, object body, string? idempotencyKey) => Post(path, JsonSerializer.Serialize(body, Json), idempotencyKey);

    public static HttpRequestMessage Post(string path, string json, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>ETT finishes its queued work, then the gateway's worker runs one iteration (poll, reconcile, resume, purge).</summary>
    public async Task SettleAsync(GatewayFactory? gateway = null)
    {
        await Ett.WhenIdleAsync();
        await RunWorkerAsync(gateway);
        await Ett.WhenIdleAsync();
    }

    public Task RunWorkerAsync(GatewayFactory? gateway = null) =>
        (gateway ?? Gateway).Services.GetRequiredService<OperationsWorker>().RunOnceAsync();

    /// <summary>POSTs that reached ETT at the given wallet path, e.g. <c>transfers</c> or <c>claims</c>.</summary>
    public IReadOnlyList<EttRequest> EttPosts(string walletPath) =>
        [.. Ett.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/wallet-api/" + walletPath, StringComparison.Ordinal))];

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public async Task<JsonElement> GetOperationAsync(HttpClient caller, Guid operationId) =>
        await JsonOf(await caller.GetAsync($"/operations/{operationId}"));

    /// <summary>Production certificates of the organization oldest first, as the gateway orders them.</summary>
    public IReadOnlyList<SandboxCertificate> AvailableProduction(Guid organizationId, string? gridArea = null) =>
        [.. Ett.CertificatesOf(organizationId)
            .Where(c => c.Type == SandboxCertificateType.Production && c.AvailableWh > 0 && (gridArea is null || c.GridArea == gridArea))
            .OrderBy(c => c.Start).ThenBy(c => c.End).ThenBy(c => c.Registry, StringComparer.Ordinal).ThenBy(c => c.StreamId)];

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in gateways) await gateway.DisposeAsync();
        await Sandbox.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A connection still closing holds the file; the temp folder is cleaned by the OS.
        }
    }
}
