using System.Net;
using System.Text.Json;

namespace Ett.Gateway.Tests.Features.Paging;

/// <summary>Reads a gateway list page by page, following <c>nextCursor</c>, as a caller would.</summary>
internal static class PagingClient
{
    public static async Task<List<JsonElement>> ReadAllPagesAsync(HttpClient caller, string path, string query, int limit, Action<JsonElement>? eachPage = null)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        for (var page = 0; page < 1000; page++)
        {
            var url = $"{path}?{query}&limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}");
            using var response = await caller.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
            var json = JsonDocument.Parse(body).RootElement.Clone();
            eachPage?.Invoke(json);
            items.AddRange(json.GetProperty("items").EnumerateArray());
            if (json.GetProperty("nextCursor").ValueKind == JsonValueKind.Null) return items;
            cursor = json.GetProperty("nextCursor").GetString();
        }
        throw new InvalidOperationException("The list did not end within 1000 pages.");
    }

    /// <summary>An ISO 8601 instant with an explicit offset, as the gateway promises (never unix seconds).</summary>
    public static DateTimeOffset IsoInstant(JsonElement value)
    {
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", value.GetString());
        return value.GetDateTimeOffset();
    }
}
