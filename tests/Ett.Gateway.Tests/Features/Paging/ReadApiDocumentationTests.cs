using System.Text.Json.Nodes;
using Ett.Gateway.Tests.OpenApi;

namespace Ett.Gateway.Tests.Features.Paging;

public class ReadApiDocumentationTests(GatewayDocumentsFactory factory) : IClassFixture<GatewayDocumentsFactory>
{
    private async Task<JsonNode> OperationAsync(string path, string method)
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        return document["paths"]![path]![method]!;
    }

    [Theory]
    [InlineData("/organizations/{organizationId}/wallet", "get", "200")]
    [InlineData("/organizations/{organizationId}/wallet/receive-endpoints", "post", "201")]
    [InlineData("/organizations/{organizationId}/certificates", "get", "200")]
    [InlineData("/organizations/{organizationId}/claims", "get", "200")]
    [InlineData("/organizations/{organizationId}/transfers", "get", "200")]
    public async Task Operation_has_summary_description_documented_problems_and_an_example(string path, string method, string success)
    {
        var operation = await OperationAsync(path, method);

        Assert.False(string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(operation["description"]?.GetValue<string>()));
        var responses = operation["responses"]!.AsObject();
        Assert.NotNull(responses[success]!["content"]!["application/json"]!["example"]);
        foreach (var status in new[] { "403", "404", "502", "503", "504" })
            Assert.Contains("https://ett-gateway/problems/", responses[status]!["description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/organizations/{organizationId}/certificates", "type,gridArea,from,to,limit,cursor")]
    [InlineData("/organizations/{organizationId}/claims", "from,to,limit,cursor")]
    [InlineData("/organizations/{organizationId}/transfers", "from,to,limit,cursor")]
    public async Task Paged_list_documents_each_query_parameter_in_camel_case(string path, string names)
    {
        var parameters = (await OperationAsync(path, "get"))["parameters"]!.AsArray()
            .Where(p => p!["in"]!.GetValue<string>() == "query").ToList();

        Assert.Equal(names.Split(','), parameters.Select(p => p!["name"]!.GetValue<string>()));
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p!["description"]?.GetValue<string>())));
    }

    [Fact]
    public async Task Certificate_type_and_grid_area_list_their_values()
    {
        var parameters = (await OperationAsync("/organizations/{organizationId}/certificates", "get"))["parameters"]!.AsArray();

        Assert.Equal("""["production","consumption"]""", parameters.Single(p => p!["name"]!.GetValue<string>() == "type")!["schema"]!["enum"]!.ToJsonString());
        Assert.Equal("""["DK1","DK2"]""", parameters.Single(p => p!["name"]!.GetValue<string>() == "gridArea")!["schema"]!["enum"]!.ToJsonString());
    }

    [Fact]
    public async Task Certificate_example_uses_iso_times_and_named_units()
    {
        var example = (await OperationAsync("/organizations/{organizationId}/certificates", "get"))["responses"]!["200"]!["content"]!["application/json"]!["example"]!;

        var item = example["items"]![0]!;
        Assert.Equal("2026-11-24T13:00:00+00:00", item["start"]!.GetValue<string>());
        Assert.NotNull(item["quantityWh"]);
        Assert.NotNull(example["nextCursor"]);
    }
}
