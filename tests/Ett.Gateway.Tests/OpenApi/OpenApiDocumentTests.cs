using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ett.Gateway.Tests.OpenApi;

public class OpenApiDocumentTests(GatewayDocumentsFactory factory) : IClassFixture<GatewayDocumentsFactory>
{
    private const string ExportPath = "openapi/ett-gateway.v1.json";

    private static readonly JsonSerializerOptions ExportFormat = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Fact]
    public async Task Gateway_document_matches_the_checked_in_export()
    {
        var generated = Normalise(await factory.CreateClient().GetStringAsync("/openapi/v1.json"));
        var exportFile = Path.Combine(RepositoryRoot(), ExportPath);

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(exportFile, generated);
            return;
        }

        var checkedIn = File.Exists(exportFile) ? Normalise(await File.ReadAllTextAsync(exportFile)) : "(missing)";
        Assert.True(checkedIn == generated,
            $"{ExportPath} differs from the document the gateway generates. If the change is intended, regenerate it with\n"
            + $"  UPDATE_OPENAPI=1 dotnet test --filter FullyQualifiedName~{nameof(OpenApiDocumentTests)}.{nameof(Gateway_document_matches_the_checked_in_export)}\n"
            + "review the diff and commit it.\nGenerated:\n" + generated);
    }

    [Fact]
    public async Task Gateway_document_names_the_gateway_and_its_security_schemes()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;

        Assert.Equal("ETT Gateway", document["info"]!["title"]!.GetValue<string>());
        Assert.Equal("v1", document["info"]!["version"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(document["info"]!["description"]!.GetValue<string>()));
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("""{"type":"http","description":"An access token for the gateway from the company's identity provider, with the role Ett.Read / Ett.Write or the scope ett.read / ett.write.","scheme":"bearer","bearerFormat":"JWT"}""",
            schemes["Bearer"]!.ToJsonString(ExportFormatCompact));
        Assert.Equal("/sandbox/idp/connect/token", schemes["OAuth2"]!["flows"]!["clientCredentials"]!["tokenUrl"]!.GetValue<string>());
    }

    [Fact]
    public async Task Passthrough_document_lists_under_ett_exactly_the_operations_the_passthrough_forwards()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/ett.json"))!;
        var paths = document["paths"]!.AsObject();

        Assert.Equal("ETT passthrough", document["info"]!["title"]!.GetValue<string>());
        Assert.NotNull(paths["/ett/wallet-api/transfers"]!["post"]);
        Assert.NotNull(paths["/ett/api/authorization/client/consents"]!["get"]);
        Assert.All(paths, path => Assert.StartsWith("/ett/", path.Key));
        var documented = paths.SelectMany(p => p.Value!.AsObject().Where(o => o.Value?["responses"] is not null).Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"));
        var forwarded = global::Ett.Gateway.Passthrough.EttThirdPartyOperations.All.Select(o => $"{o.Method} /ett{o.Path}");
        Assert.Equal(forwarded.Order(), documented.Order());
        // ETT's hidden and internal operations are in its contract but answer 404 here, so they are not documented.
        Assert.Contains("/api/authorization/client/{idpClientId}", ContractPaths());
        Assert.Null(paths["/ett/api/authorization/client/{idpClientId}"]);
        Assert.Equal("/", document["servers"]!.AsArray().Single()!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Passthrough_document_asks_for_the_gateway_token_not_etts()
    {
        var json = await factory.CreateClient().GetStringAsync("/openapi/ett.json");
        var document = JsonNode.Parse(json)!;

        Assert.Equal("""[{"Bearer":[]},{"OAuth2":[]}]""", document["security"]!.ToJsonString());
        Assert.Equal(["Bearer", "OAuth2"], document["components"]!["securitySchemes"]!.AsObject().Select(s => s.Key));
        Assert.Equal("/sandbox/idp/connect/token",
            document["components"]!["securitySchemes"]!["OAuth2"]!["flows"]!["clientCredentials"]!["tokenUrl"]!.GetValue<string>());
        // The gateway sets ETT's version header and token itself; callers are never asked for them.
        Assert.DoesNotContain("XApiVersion", json);
        Assert.DoesNotContain("b2clogin", json);
        Assert.All(document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()),
            operation => Assert.Null(operation.Value!["security"]));
    }

    [Fact]
    public async Task Swagger_ui_is_served_anonymously_and_offers_both_documents()
    {
        var client = factory.CreateClient();

        var page = await client.GetAsync("/swagger");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger-ui", await page.Content.ReadAsStringAsync());

        var config = await client.GetStringAsync("/swagger/index.js");
        Assert.Contains("""{"url":"../openapi/v1.json","name":"Gateway API v1"}""", config);
        Assert.Contains("""{"url":"../openapi/ett.json","name":"ETT passthrough"}""", config);
    }

    [Theory]
    [InlineData("/openapi/v1.json")]
    [InlineData("/openapi/ett.json")]
    [InlineData("/swagger/index.html")]
    public async Task Documents_are_open_to_anonymous_callers(string path)
    {
        var response = await factory.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static readonly JsonSerializerOptions ExportFormatCompact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Server URLs depend on the host that serves the document, line endings on the checkout.</summary>
    private static string Normalise(string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        document.Remove("servers");
        return document.ToJsonString(ExportFormat) + "\n";
    }

    private static IEnumerable<string> ContractPaths()
    {
        using var contract = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "contracts", "ett-upstream.openapi.json"));
        return JsonNode.Parse(contract)!["paths"]!.AsObject().Select(p => p.Key).ToList();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Ett.Gateway.sln"))) return directory.FullName;
        throw new InvalidOperationException($"No Ett.Gateway.sln above {AppContext.BaseDirectory}.");
    }
}
