using System.Text.Json;
using System.Text.Json.Nodes;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// Swagger UI as a newcomer meets it, in Debian's Chromium (headless, driven by playwright-core from
/// <c>tests/node/swagger-ui.mjs</c>) against the built gateway as its own process with the embedded sandbox. The script
/// presses what a person presses and reports what crossed the wire; screenshots go to
/// <c>tests/Ett.Gateway.Tests/TestResults/swagger-ui</c>. Real process, real clock: never on TestClock.
/// </summary>
[Trait("Category", "RealWorld")]
public sealed class SwaggerUiBrowserTests : IAsyncLifetime
{
    private static readonly string Screenshots = Path.Combine(NodeTools.RepositoryRoot, "tests", "Ett.Gateway.Tests", "TestResults", "swagger-ui");
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    [RealWorldFact(RealWorldTool.Chromium)]
    public async Task A_newcomer_authorizes_once_and_the_prefilled_examples_succeed_across_documents_and_a_reload()
    {
        if (Directory.Exists(Screenshots)) Directory.Delete(Screenshots, recursive: true);
        var steps = await RunAsync();

        Assert.Equal("ETT Gateway", steps["loaded"].GetProperty("title").GetString());
        Assert.Equal(["Gateway API v1", "ETT passthrough"], steps["loaded"].GetProperty("documents").EnumerateArray().Select(d => d.GetString()));
        Assert.False(steps["loaded"].GetProperty("locked").GetBoolean());

        var authorize = steps["authorize"];
        Assert.Equal(SandboxSeed.CallerClientId, authorize.GetProperty("prefilled").GetString());
        Assert.Equal(200, authorize.GetProperty("tokenStatus").GetInt32());
        Assert.Equal(["ett.read", "ett.write"], authorize.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!.Split('\n')[0]));

        foreach (var step in new[] { "organizations", "certificates", "operation", "passthrough", "after-reload", "after-switch-back" })
        {
            Assert.True(200 == steps[step].GetProperty("status").GetInt32(), $"{step}: {steps[step]}");
            Assert.Equal("200", steps[step].GetProperty("shown").GetString());
            Assert.Equal("Bearer", steps[step].GetProperty("sentAuthorization").GetString());
        }
        Assert.Contains("/ett/wallet-api/wallets?organizationId=" + SandboxSeed.ProducerOrganizationId, steps["passthrough"].GetProperty("url").GetString());
        Assert.Contains("type=production", steps["certificates"].GetProperty("url").GetString());

        // The example body went out unchanged and was accepted; the operation it names is the one Location points at.
        var transfer = steps["transfer"];
        Assert.Equal(202, transfer.GetProperty("status").GetInt32());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(transfer.GetProperty("example").GetRawText()), JsonNode.Parse(transfer.GetProperty("sentBody").GetString()!)));
        var operationId = JsonDocument.Parse(transfer.GetProperty("body").GetString()!).RootElement.GetProperty("operationId").GetString();
        Assert.Equal($"/operations/{operationId}", transfer.GetProperty("location").GetString());
        Assert.EndsWith($"/operations/{operationId}", steps["operation"].GetProperty("url").GetString());

        foreach (var step in new[] { "switched", "reloaded", "switched-back" })
            Assert.True(steps[step].GetProperty("locked").GetBoolean(), $"{step}: the authorization was lost");
        Assert.Equal("ETT passthrough", steps["switched"].GetProperty("title").GetString());

        var refused = steps["reader-transfer"];
        Assert.Equal(403, refused.GetProperty("status").GetInt32());
        Assert.Equal("403", refused.GetProperty("shown").GetString());
        var problem = JsonDocument.Parse(refused.GetProperty("body").GetString()!).RootElement;
        Assert.Equal("https://ett-gateway/problems/forbidden", problem.GetProperty("type").GetString());
        Assert.Contains("lacks the permission Ett.Transfer", problem.GetProperty("detail").GetString());
        Assert.Contains("https://ett-gateway/problems/forbidden", refused.GetProperty("shownBody").GetString());
        Assert.Contains("lacks the permission Ett.Transfer", refused.GetProperty("shownBody").GetString());

        Assert.True(Directory.GetFiles(Screenshots, "*.png").Length >= 10, $"screenshots in {Screenshots}");
    }

    private async Task<Dictionary<string, JsonElement>> RunAsync()
    {
        using var script = NodeTools.StartNode("swagger-ui.mjs", _gateway.Address.AbsoluteUri.TrimEnd('/'), Screenshots);
        script.StandardInput.Close();
        var output = script.StandardOutput.ReadToEndAsync();
        var errors = script.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await script.WaitForExitAsync(timeout.Token);

        var steps = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToDictionary(step => step.GetProperty("step").GetString()!);
        Assert.True(script.ExitCode == 0 && !steps.ContainsKey("failed"),
            $"swagger-ui.mjs failed: {(steps.TryGetValue("failed", out var failed) ? failed.ToString() : "")}\n{await errors}\n{_gateway.Output}");
        return steps;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();
}
