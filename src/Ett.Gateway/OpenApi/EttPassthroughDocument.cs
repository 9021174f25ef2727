using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ett.Gateway.Passthrough;
using Ett.Sandbox;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>
/// The "ETT passthrough" document: ETT's checked-in contract as the gateway relays it. YARP routes are invisible to
/// OpenAPI generators, so this is built from the contract rather than generated: paths move under <c>/ett</c>, the
/// server is the gateway, and the security is the gateway's, because the gateway adds ETT's token and
/// <c>X-API-Version</c> itself.
/// </summary>
internal sealed partial class EttPassthroughDocument(GatewaySecuritySchemes security)
{
    public const string PathPrefix = "/ett";
    private const string ResourceName = "ett-upstream.openapi.json";
    private const string VersionParameter = "XApiVersion";
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
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
        // ETT's own description addresses a caller of ETT (its token, its version header, files beside the contract):
        // a caller of the gateway needs none of that.
        info["description"] = $"Energinet's Energy Track & Trace API, relayed unchanged under `{PathPrefix}/`. Authenticate to "
            + "the gateway as for its own API (press **Authorize**); the gateway removes your token and adds ETT's bearer "
            + "token and the pinned `X-API-Version` itself, so send neither. ETT's status and body come back unchanged: "
            + "times are unix seconds and quantities Wh, as ETT sends them. For composite operations with ISO 8601 times "
            + "and problem+json errors, choose \"Gateway API v1\" at the top.";

        if (document["components"]?["parameters"]?["OrganizationId"] is JsonObject organizationId)
            organizationId["example"] = SandboxSeed.ProducerOrganizationId.ToString();
        ForSwaggerUi(document);

        var paths = new JsonObject();
        foreach (var (path, item) in document["paths"]!.AsObject().ToList())
        {
            document["paths"]!.AsObject().Remove(path);
            // Only what the passthrough forwards: ETT's hidden and internal operations answer 404 here.
            foreach (var (method, _) in item!.AsObject().ToList())
                if (Methods.Contains(method) && !EttThirdPartyOperations.All.Any(o => o.Path == path && o.Method.Equals(method, StringComparison.OrdinalIgnoreCase)))
                    item.AsObject().Remove(method);
            if (!item.AsObject().Any(o => Methods.Contains(o.Key))) continue;
            foreach (var (_, operation) in item.AsObject())
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

    /// <summary>
    /// Swagger UI renders descriptions as Markdown, where <c>&lt;gsrn&gt;</c> would vanish as an HTML tag; and a UI user
    /// cannot open the contract's companion files, so pointers to them go.
    /// </summary>
    private static void ForSwaggerUi(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key is "description" or "summary" && value is JsonValue text && text.TryGetValue<string>(out var markdown))
                        obj[key] = FilePointer().Replace(markdown, "").TrimEnd()
                            .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
                    else ForSwaggerUi(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array) ForSwaggerUi(item);
                break;
        }
    }

    [GeneratedRegex(@"\s*See [A-Za-z-]+\.md\b[^.]*\.")]
    private static partial Regex FilePointer();

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
