using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// ETT's credentials API as the sandbox simulates it (EO Authorization.API <c>CredentialController.cs</c>,
/// <c>CredentialService.cs</c>, PR #1874): list without values, create (200, the value once, a year), delete (204), at
/// most two; the onboarding secret lasts a month; the token endpoint takes exactly the secrets that exist and are valid.
/// </summary>
public sealed class SandboxCredentialsTests : SandboxTestBase
{
    private static readonly string Credentials = $"api/authorization/clients/{SandboxSeed.EttClientId}/credentials";

    [Fact]
    public async Task The_onboarding_secret_is_listed_without_its_value_and_lasts_one_month()
    {
        var list = await Ett.GetFromJsonAsync<JsonElement>(Credentials);

        var secret = Assert.Single(list.GetProperty("result").EnumerateArray());
        Assert.Equal(SandboxSeed.EttClientSecret[..3], secret.GetProperty("hint").GetString());
        Assert.False(secret.TryGetProperty("secret", out _));
        Assert.Equal(TestClock.Start.ToUnixTimeSeconds(), secret.GetProperty("startDate").GetInt64());
        Assert.Equal(TestClock.Start.AddMonths(1).ToUnixTimeSeconds(), secret.GetProperty("endDate").GetInt64());
        Assert.DoesNotContain(SandboxSeed.EttClientSecret, list.GetRawText());
    }

    [Fact]
    public async Task A_created_secret_is_returned_once_works_at_once_and_a_deleted_one_stops_working()
    {
        var onboarding = Assert.Single(Server.State.SecretsOf(SandboxSeed.EttClientId));

        var created = await Ett.PostAsync(Credentials, null);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        var keyId = body.GetProperty("keyId").GetGuid();
        Assert.Equal(TestClock.Start.AddYears(1).ToUnixTimeSeconds(), body.GetProperty("endDate").GetInt64());
        Assert.Equal(secret[..3], body.GetProperty("hint").GetString());
        Assert.DoesNotContain(secret, (await Ett.GetStringAsync(Credentials)));

        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(secret)).StatusCode);
        Assert.Equal(keyId, Server.State.Requests.Last(r => r.Path.EndsWith("ett-token", StringComparison.Ordinal)).SecretKeyId);

        var deleted = await Ett.DeleteAsync($"{Credentials}/{onboarding.KeyId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var refused = await TokenAsync(SandboxSeed.EttClientSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Null(Server.State.Requests.Last(r => r.Path.EndsWith("ett-token", StringComparison.Ordinal)).SecretKeyId);
        Assert.Equal([keyId], Server.State.SecretsOf(SandboxSeed.EttClientId).Select(s => s.KeyId));
    }

    [Fact]
    public async Task A_third_secret_is_refused_with_etts_error()
    {
        Assert.Equal(HttpStatusCode.OK, (await Ett.PostAsync(Credentials, null)).StatusCode);

        var third = await Ett.PostAsync(Credentials, null);

        Assert.Equal(HttpStatusCode.BadRequest, third.StatusCode);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
        var error = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("BadRequest", error.GetProperty("status").GetString());
        Assert.Equal(400, error.GetProperty("statusCode").GetInt32());
        Assert.Contains("maximum of 2 credentials", error.GetProperty("description").GetString());
        Assert.Equal(2, Server.State.SecretsOf(SandboxSeed.EttClientId).Count);
    }

    [Fact]
    public async Task The_onboarding_secret_stops_working_when_its_month_is_over()
    {
        var end = Assert.Single(Server.State.SecretsOf(SandboxSeed.EttClientId)).End;
        Assert.Equal(TestClock.Start.AddMonths(1), end);
        Server.FakeTime!.SetUtcNow(end - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(SandboxSeed.EttClientSecret)).StatusCode);

        Server.FakeTime.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenAsync(SandboxSeed.EttClientSecret)).StatusCode);
    }

    public static TheoryData<string, string, HttpStatusCode> Refusals() => new()
    {
        // ExternalClientHasAccessThroughOrganization: another organization's client, or none, is ForbiddenException.
        { "GET", $"api/authorization/clients/{SandboxSeed.SecondEttClientId}/credentials", HttpStatusCode.Forbidden },
        { "POST", $"api/authorization/clients/{SandboxSeed.SecondEttClientId}/credentials", HttpStatusCode.Forbidden },
        { "DELETE", $"api/authorization/clients/{SandboxSeed.SecondEttClientId}/credentials/c2ed0000-0000-4000-8000-000000000002", HttpStatusCode.Forbidden },
        { "GET", $"api/authorization/clients/{Guid.NewGuid()}/credentials", HttpStatusCode.Forbidden },
        // CredentialService.DeleteCredential: an unknown key is Graph's error, a BusinessException.
        { "DELETE", $"api/authorization/clients/{SandboxSeed.EttClientId}/credentials/{Guid.NewGuid()}", HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refusals_are_etts_errors_and_change_nothing(string method, string path, HttpStatusCode status)
    {
        var before = Server.State.SecretsOf(SandboxSeed.SecondEttClientId).Concat(Server.State.SecretsOf(SandboxSeed.EttClientId)).ToList();

        var response = await Ett.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal((int)status, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusCode").GetInt32());
        Assert.Equal(before, Server.State.SecretsOf(SandboxSeed.SecondEttClientId).Concat(Server.State.SecretsOf(SandboxSeed.EttClientId)));
    }

    private async Task<HttpResponseMessage> TokenAsync(string secret)
    {
        using var http = Server.CreateClient();
        return await http.PostAsync(Server.EttTokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = SandboxSeed.EttClientId,
            ["client_secret"] = secret,
        }));
    }
}
