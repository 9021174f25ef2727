using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ett.Gateway.Errors;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Errors;

/// <summary>A tiny in-memory host with the gateway's error and validation pipeline and test-only endpoints.</summary>
internal sealed class ProblemTestHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ProblemTestHost(WebApplication app) => this.app = app;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => app.Services;

    public static async Task<ProblemTestHost> StartAsync(
        Action<WebApplication> map, Action<IServiceCollection>? services = null, string environment = "Production")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Services.AddGatewayErrors();
        builder.Services.AddRequestValidation();
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        map(app);
        await app.StartAsync();
        return new ProblemTestHost(app) { Client = app.GetTestClient() };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.DisposeAsync();
    }
}

internal static class ProblemAssert
{
    /// <summary>
    /// The response is exactly <paramref name="expectedJson"/> as application/problem+json, plus a non-empty
    /// <c>traceId</c> (which differs per request and so is checked for presence only) and, where the response carries
    /// an <c>X-Correlation-ID</c>, a <c>correlationId</c> equal to it.
    /// </summary>
    public static async Task EqualAsync(int expectedStatus, string expectedJson, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expectedStatus == (int)response.StatusCode, $"Expected {expectedStatus}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(new MediaTypeHeaderValue("application/problem+json"), response.Content.Headers.ContentType);

        var actual = JsonNode.Parse(body)!.AsObject();
        Assert.True(actual.Remove("traceId", out var traceId), $"No traceId in {body}");
        Assert.False(string.IsNullOrWhiteSpace(traceId!.GetValue<string>()));
        if (response.Headers.TryGetValues("X-Correlation-ID", out var correlation))
        {
            Assert.True(actual.Remove("correlationId", out var correlationId), $"No correlationId in {body}");
            Assert.Equal(Assert.Single(correlation), correlationId!.GetValue<string>());
        }
        var expected = JsonNode.Parse(expectedJson);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"Expected {expected!.ToJsonString()}\nActual   {actual.ToJsonString()}");
    }
}
