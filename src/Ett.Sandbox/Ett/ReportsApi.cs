using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

/// <summary>
/// ETT's PDF reports (§2.4; energy-origin Transfer.API <c>ReportsController</c>). A client-credentials token has no
/// <c>org_cvr</c>, so ETT refuses to start a report for it (400 "Organization must have a valid tin.", checked before
/// the body); reports made in ETT's portal are listed per organization, and downloaded by id alone:
/// <c>DownloadReportCommandHandler</c> reads the report by id and ignores the organization, so any report id downloads
/// under any organization the token covers. 404 while it is not <c>Completed</c>.
/// </summary>
internal static class ReportsApi
{
    public static void Map(IEndpointRouteBuilder ett)
    {
        var reports = ett.MapGroup("/api/reports").AddEndpointFilter(new EttGate(OrganizationCheck.Reports));
        reports.MapPost("", RequestGeneration);
        reports.MapGet("", List);
        reports.MapGet("/{reportId}/download", Download);
    }

    // BadRequest(string) of an [ApiController]: the string as text/plain.
    private static IResult RequestGeneration() =>
        Results.Text("Organization must have a valid tin.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);

    private static IResult List(HttpContext http, SandboxState state)
    {
        var organizationId = EttGate.OrganizationOf(http);
        lock (state.Sync)
        {
            return EttResults.Ok(new
            {
                result = state.Data.Reports.Where(r => r.OrganizationId == organizationId)
                    .Select(r => new { id = r.Id, createdAt = r.CreatedAt, status = r.Status }).ToList(),
            });
        }
    }

    private static IResult Download(HttpContext http, string reportId, SandboxState state)
    {
        // [FromRoute] Guid: a malformed id is a model-binding error.
        if (!Guid.TryParse(reportId, out var id)) return EttResults.Validation(http, "reportId", $"The value '{reportId}' is not valid.");
        lock (state.Sync)
        {
            return state.Data.Reports.FirstOrDefault(r => r.Id == id) is { Status: "Completed", Content: { } content }
                ? Results.File(content, "application/pdf", $"report-{id}.pdf")
                : EttResults.Empty(StatusCodes.Status404NotFound);
        }
    }
}
