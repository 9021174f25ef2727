using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>
/// The "ETT passthrough" document: ETT's checked-in contract as the gateway relays it. YARP routes are invisible to
/// OpenAPI generators, so this is built from the contract rather than generated: paths move under <c>/ett</c>, the
/// server is the gateway, and the security is the gateway's, because the gateway adds ETT's token and
/// <c>X-API-Version</c> itself.
/// </summary>
internal sealed class EttPassthroughDocument(GatewaySecuritySchemes security)
{
    public const string PathPrefix = "/ett";
    private const string ResourceName = "ett-upstream.openapi.json";
    private const string VersionParameter = "XApiVersion";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Lazy<JsonObject> template = new(() => Build(security));

    /// <summary>The document for a gateway reached under <paramref name="pathBase"/> (relative, so no Host header is trusted).</summary>
    public string Render(PathString pathBase)
    {
        var document = template.Value.DeepClone().AsObject();
        document["servers"] = new JsonArray(new JsonObject
        {
            ["url"] = pathBase.HasValue ? pathBase.Value : "/",
            ["description"] = "This gateway",
        });
        return document.ToJsonString(Indented);
    }

    private static JsonObject Build(GatewaySecuritySchemes security)
    {
        using var stream = typeof(EttPassthroughDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from the gateway assembly.");
        var document = JsonNode.Parse(stream)!.AsObject();

        var info = document["info"]!.AsObject();
        info["title"] = "ETT passthrough";
        info["description"] = $"ETT's API relayed unchanged under {PathPrefix}/. Authenticate to the gateway; it adds ETT's "
            + "bearer token and X-API-Version. Times are unix seconds and quantities Wh, as ETT sends them. Source: "
            + info["description"]?.GetValue<string>();

        var paths = new JsonObject();
        foreach (var (path, item) in document["paths"]!.AsObject().ToList())
        {
            document["paths"]!.AsObject().Remove(path);
            foreach (var (_, operation) in item!.AsObject())
            {
                if (operation is not JsonObject op) continue;
                op.Remove("security");
                if (op["parameters"] is JsonArray parameters)
                    foreach (var versionHeader in parameters.Where(IsVersionParameter).ToList()) parameters.Remove(versionHeader);
            }
            paths[PathPrefix + path] = item;
        }
        document["paths"] = paths;

        var components = document["components"]!.AsObject();
        components["parameters"]?.AsObject().Remove(VersionParameter);
        components["securitySchemes"] = SecuritySchemes(security);
        document["security"] = new JsonArray([.. security.Schemes.Keys.Select(name => (JsonNode)new JsonObject { [name] = new JsonArray() })]);
        return document;
    }

    private static bool IsVersionParameter(JsonNode? parameter) =>
        parameter?["$ref"]?.GetValue<string>() == $"#/components/parameters/{VersionParameter}";

    private static JsonObject SecuritySchemes(GatewaySecuritySchemes security)
    {
        var schemes = new JsonObject();
        foreach (var (name, scheme) in security.Schemes)
        {
            using var text = new StringWriter();
            scheme.SerializeAsV3(new OpenApiJsonWriter(text));
            schemes[name] = JsonNode.Parse(text.ToString());
        }
        return schemes;
    }
}
