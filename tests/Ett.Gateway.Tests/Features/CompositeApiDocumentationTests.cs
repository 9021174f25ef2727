using System.Text.Json.Nodes;
using Ett.Gateway.Tests.OpenApi;

namespace Ett.Gateway.Tests.Features;

public class CompositeApiDocumentationTests(GatewayDocumentsFactory factory) : IClassFixture<GatewayDocumentsFactory>
{
    [Fact]
    public async Task Every_composite_endpoint_has_a_name_summary_description_documented_parameters_and_an_example_per_success()
    {
        var paths = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!["paths"]!.AsObject();
        var operations = paths
            .SelectMany(p => p.Value!.AsObject().Select(o => (Name: $"{o.Key.ToUpperInvariant()} {p.Key}", Operation: o.Value!)))
            .ToList();

        Assert.True(operations.Count >= 20, $"{operations.Count} gateway operations documented");
        Assert.All(operations, entry =>
        {
            var (name, operation) = entry;
            Assert.False(string.IsNullOrWhiteSpace(operation["operationId"]?.GetValue<string>()), name);
            Assert.False(string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()), name);
            Assert.False(string.IsNullOrWhiteSpace(operation["description"]?.GetValue<string>()), name);
            Assert.All(operation["parameters"]?.AsArray() ?? [], p => Assert.False(string.IsNullOrWhiteSpace(p!["description"]?.GetValue<string>()), $"{name} {p!["name"]}"));
            var responses = operation["responses"]!.AsObject();
            if (operation["parameters"] is not null) Assert.Contains(responses, r => r.Key == "400");
            // 204 has no body to give an example of.
            Assert.All(responses.Where(r => r.Key.StartsWith('2') && r.Key != "204"), r =>
            {
                Assert.NotNull(r.Value!["content"]!["application/json"]!["example"]);
                Assert.NotEqual("OK", r.Value!["description"]!.GetValue<string>());
            });
            // 401 and a permission-only 403 are the security convention's, documented without a body.
            Assert.All(responses.Where(r => r.Key[0] is '4' or '5' && r.Key is not ("401" or "403")),
                r => Assert.Contains("application/problem+json", r.Value!["content"]!.AsObject().Select(c => c.Key)));
        });
    }
}
