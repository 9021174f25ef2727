using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Features.FeatureTestSettings;

namespace Ett.Gateway.Tests.Features.Contracts;

public class ContractsTests
{
    private const string ContractsPath = "/api/certificates/contracts";
    private static readonly string Producer = $"/organizations/{SandboxSeed.ProducerOrganizationId}/contracts";

    private static DateTimeOffset Today(SandboxGateway env) => new(env.Time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);

    private static async Task<JsonElement> ContractOfAsync(HttpClient caller, string gsrn) =>
        (await (await caller.GetAsync(Producer)).JsonAsync(HttpStatusCode.OK)).GetProperty("contracts").EnumerateArray()
            .Single(c => c.GetProperty("gsrn").GetString() == gsrn);

    [Fact]
    public async Task Contracts_are_listed_with_iso_times_lowercase_type_and_whether_they_are_in_force()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var response = await caller.GetAsync(Producer);

        var contracts = (await response.JsonAsync(HttpStatusCode.OK)).GetProperty("contracts").EnumerateArray().ToArray();
        Assert.Equal([SandboxSeed.ProducerWindGsrn, SandboxSeed.ProducerSolarGsrn], contracts.Select(c => c.GetProperty("gsrn").GetString()));
        var wind = contracts[0];
        Assert.Equal("production", wind.GetProperty("type").GetString());
        Assert.Equal(Today(env).AddDays(-30), DateTimeOffset.Parse(wind.GetProperty("start").GetString()!));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$", wind.GetProperty("start").GetString());
        Assert.Equal(JsonValueKind.Null, wind.GetProperty("end").ValueKind);
        Assert.True(wind.GetProperty("active").GetBoolean());
        Assert.Equal("T020001", wind.GetProperty("technology").GetProperty("aibTechCode").GetString());
        Assert.Equal(1, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task One_contract_is_read_by_id()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);
        var listed = await ContractOfAsync(caller, SandboxSeed.ProducerSolarGsrn);
        var id = listed.GetProperty("id").GetGuid();

        var contract = await (await caller.GetAsync($"{Producer}/{id}")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal(listed.ToString(), contract.ToString());
        Assert.Equal(1, env.Sandbox.State.CallsTo("GET", $"{ContractsPath}/{id}"));
    }

    [Fact]
    public async Task Unknown_contract_is_not_found()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.GetAsync($"{Producer}/{Guid.NewGuid()}");

        await response.ProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Created_contract_activates_the_metering_point_from_its_start_and_etts_got_unix_seconds()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        var start = Today(env).AddDays(1);
        var end = start.AddDays(30);

        var response = await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start, end });

        var created = await response.JsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"{Producer}/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(start, created.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(end, created.GetProperty("end").GetDateTimeOffset());
        Assert.False(created.GetProperty("active").GetBoolean());
        var sent = env.Sandbox.State.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith(ContractsPath));
        Assert.Equal($"?organizationId={SandboxSeed.ProducerOrganizationId}", sent.QueryString);
        Assert.Equal($$"""{"contracts":[{"gsrn":"{{SandboxSeed.ProducerUncontractedSolarGsrn}}","startDate":{{start.ToUnixTimeSeconds()}},"endDate":{{end.ToUnixTimeSeconds()}}}]}""", sent.Body);

        env.Time.Advance(TimeSpan.FromDays(1.5));
        caller = await env.CreateCallerAsync(); // the first caller token expired meanwhile
        var point = (await (await caller.GetAsync($"/organizations/{SandboxSeed.ProducerOrganizationId}/metering-points")).JsonAsync(HttpStatusCode.OK))
            .GetProperty("meteringPoints").EnumerateArray().Single(p => p.GetProperty("gsrn").GetString() == SandboxSeed.ProducerUncontractedSolarGsrn);
        Assert.True(point.GetProperty("active").GetBoolean());
        Assert.Equal(id, point.GetProperty("contractId").GetGuid());
    }

    [Fact]
    public async Task Open_ended_contract_sends_no_end_date()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var created = await (await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start = Today(env) }))
            .JsonAsync(HttpStatusCode.Created);

        Assert.Equal(JsonValueKind.Null, created.GetProperty("end").ValueKind);
        Assert.True(created.GetProperty("active").GetBoolean());
        Assert.Contains("\"endDate\":null", env.Sandbox.State.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith(ContractsPath)).Body);
    }

    [Fact]
    public async Task Contract_overlapping_an_active_one_is_a_contract_overlap_conflict()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerWindGsrn, start = Today(env).AddDays(1) });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict, "contract-overlap");
        Assert.Contains(SandboxSeed.ProducerWindGsrn, problem.GetProperty("detail").GetString());
        Assert.Equal(409, problem.GetProperty("upstreamStatus").GetInt32());
    }

    [Fact]
    public async Task Contract_for_a_metering_point_that_cannot_issue_is_a_cannot_issue_conflict()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerBiomassGsrn, start = Today(env).AddDays(1) });

        await response.ProblemAsync(HttpStatusCode.Conflict, "metering-point-cannot-issue");
    }

    [Fact]
    public async Task Contract_for_another_organizations_metering_point_names_the_gsrn()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ConsumerDk1Gsrn, start = Today(env).AddDays(1) });

        Assert.Equal(["gsrn"], await response.ValidationErrorsAsync());
    }

    public static TheoryData<string, string> InvalidNewContracts => new()
    {
        { """{"start":"{tomorrow}"}""", "gsrn" },
        { """{"gsrn":"57131310000000001","start":"{tomorrow}"}""", "gsrn" },
        { """{"gsrn":"57131310000000001x","start":"{tomorrow}"}""", "gsrn" },
        { """{"gsrn":"571313100000000013"}""", "start" },
        { """{"gsrn":"571313100000000013","start":"{yesterday}"}""", "start" },
        { """{"gsrn":"571313100000000013","start":"{tomorrow}","end":"{today}"}""", "start" },
        { """{"gsrn":"571313100000000013","start":"{tomorrow}","end":"{tomorrow}"}""", "start" },
        { """{"gsrn":"571313100000000013","start":"tomorrow"}""", "start" },
    };

    [Theory]
    [MemberData(nameof(InvalidNewContracts))]
    public async Task Invalid_new_contract_is_rejected_without_calling_ett(string json, string field)
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        var today = Today(env);
        json = json.Replace("{today}", today.ToString("O")).Replace("{tomorrow}", today.AddDays(1).ToString("O")).Replace("{yesterday}", today.AddDays(-1).ToString("O"));

        var response = await caller.PostAsync(Producer, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal([field], await response.ValidationErrorsAsync());
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Non_trial_client_is_told_contracts_are_for_trial_clients_only()
    {
        await using var env = await SandboxGateway.StartAsync(settings: BothEttClients());
        var caller = await env.CreateCallerAsync();

        var response = await caller.PostAsJsonAsync($"/organizations/{SandboxSeed.NormalProducerOrganizationId}/contracts",
            new { gsrn = SandboxSeed.NormalProducerWindGsrn, start = Today(env).AddDays(400) });

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden, "contract-not-allowed");
        Assert.Contains($"'{NormalClient}'", problem.GetProperty("detail").GetString());
        Assert.Equal(403, problem.GetProperty("upstreamStatus").GetInt32());
    }

    [Fact]
    public async Task Contract_for_an_organization_without_consent_is_not_consented()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.PostAsJsonAsync($"/organizations/{SandboxSeed.UnconsentedOrganizationId}/contracts",
            new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start = Today(env).AddDays(1) });

        await response.ProblemAsync(HttpStatusCode.Forbidden, "not-consented");
    }

    [Fact]
    public async Task Read_only_caller_cannot_create_a_contract()
    {
        await using var env = await SandboxGateway.StartAsync();
        var reader = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var response = await reader.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start = Today(env).AddDays(1) });

        await response.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Contracts_of_an_organization_the_caller_may_not_act_for_are_forbidden()
    {
        await using var env = await SandboxGateway.StartAsync(settings: CallersRestrictedTo(SandboxSeed.ConsumerOrganizationId));
        var caller = await env.CreateCallerAsync();

        var list = await caller.GetAsync(Producer);
        var create = await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start = Today(env).AddDays(1) });

        await list.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await create.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Contract_end_is_changed_with_etts_put_and_the_changed_contract_returned()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        var id = (await ContractOfAsync(caller, SandboxSeed.ProducerWindGsrn)).GetProperty("id").GetGuid();
        var end = Today(env).AddDays(10);
        env.Sandbox.State.ClearRequests();

        var changed = await (await caller.PatchAsJsonAsync($"{Producer}/{id}", new { end })).JsonAsync(HttpStatusCode.OK);

        Assert.Equal(end, changed.GetProperty("end").GetDateTimeOffset());
        Assert.True(changed.GetProperty("active").GetBoolean());
        var put = env.Sandbox.State.Requests.Single(r => r.Method == "PUT");
        Assert.Equal($$"""{"contracts":[{"id":"{{id}}","endDate":{{end.ToUnixTimeSeconds()}}}]}""", put.Body);
        Assert.Equal(2, env.Sandbox.State.EttApiCalls());
        Assert.Equal(end, (await ContractOfAsync(caller, SandboxSeed.ProducerWindGsrn)).GetProperty("end").GetDateTimeOffset());
    }

    [Fact]
    public async Task Contract_end_set_to_null_makes_it_open_ended()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        var id = (await ContractOfAsync(caller, SandboxSeed.ProducerWindGsrn)).GetProperty("id").GetGuid();
        await (await caller.PatchAsJsonAsync($"{Producer}/{id}", new { end = Today(env).AddDays(10) })).JsonAsync(HttpStatusCode.OK);

        var changed = await (await caller.PatchAsJsonAsync($"{Producer}/{id}", new { end = (DateTimeOffset?)null })).JsonAsync(HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, changed.GetProperty("end").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await ContractOfAsync(caller, SandboxSeed.ProducerWindGsrn)).GetProperty("end").ValueKind);
    }

    [Fact]
    public async Task Contract_end_that_overlaps_a_later_contract_is_a_contract_overlap_conflict()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        var id = (await ContractOfAsync(caller, SandboxSeed.ProducerWindGsrn)).GetProperty("id").GetGuid();
        await (await caller.PatchAsJsonAsync($"{Producer}/{id}", new { end = Today(env).AddDays(5) })).JsonAsync(HttpStatusCode.OK);
        await (await caller.PostAsJsonAsync(Producer, new { gsrn = SandboxSeed.ProducerWindGsrn, start = Today(env).AddDays(10) })).JsonAsync(HttpStatusCode.Created);

        var response = await caller.PatchAsJsonAsync($"{Producer}/{id}", new { end = (DateTimeOffset?)null });

        await response.ProblemAsync(HttpStatusCode.Conflict, "contract-overlap");
    }

    [Fact]
    public async Task Contract_end_of_an_unknown_contract_is_not_found_and_nothing_is_put()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.PatchAsJsonAsync($"{Producer}/{Guid.NewGuid()}", new { end = Today(env).AddDays(5) });

        await response.ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(0, env.Sandbox.State.CallsTo("PUT", ContractsPath));
    }

    [Fact]
    public async Task Contract_end_not_after_its_start_names_end()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();
        var contract = await ContractOfAsync(caller, SandboxSeed.ProducerWindGsrn);

        var response = await caller.PatchAsJsonAsync($"{Producer}/{contract.GetProperty("id").GetGuid()}",
            new { end = contract.GetProperty("start").GetDateTimeOffset() });

        Assert.Equal(["end"], await response.ValidationErrorsAsync());
        Assert.Equal(0, env.Sandbox.State.CallsTo("PUT", ContractsPath));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"end":"next week"}""")]
    public async Task Contract_change_without_a_valid_end_is_rejected_without_calling_ett(string json)
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.PatchAsync($"{Producer}/{Guid.NewGuid()}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(["end"], await response.ValidationErrorsAsync());
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Theory]
    [InlineData("/organizations/{0}/contracts/not-a-guid", "contractId")]
    [InlineData("/organizations/{0}/contracts/00000000-0000-0000-0000-000000000000", "contractId")]
    [InlineData("/organizations/00000000-0000-0000-0000-000000000000/contracts", "organizationId")]
    public async Task Contract_routes_reject_invalid_ids_without_calling_ett(string path, string field)
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.GetAsync(string.Format(path, SandboxSeed.ProducerOrganizationId));

        Assert.Equal([field], await response.ValidationErrorsAsync());
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Non_trial_client_cannot_change_a_contract_end_either()
    {
        await using var env = await SandboxGateway.StartAsync(settings: BothEttClients());
        var caller = await env.CreateCallerAsync();
        var organization = $"/organizations/{SandboxSeed.NormalProducerOrganizationId}/contracts";
        var id = (await (await caller.GetAsync(organization)).JsonAsync(HttpStatusCode.OK)).GetProperty("contracts")[0].GetProperty("id").GetGuid();

        var response = await caller.PatchAsJsonAsync($"{organization}/{id}", new { end = Today(env).AddDays(5) });

        await response.ProblemAsync(HttpStatusCode.Forbidden, "contract-not-allowed");
    }
}
