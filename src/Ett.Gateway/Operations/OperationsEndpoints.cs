using System.ComponentModel;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.Features;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Operations.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Operations;

/// <summary>Reading operations: served from the journal alone, so following an operation never calls ETT.</summary>
internal static class OperationsEndpoints
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("").WithTags("Operations").RequireAuthorization(CallerPolicies.Read);

        group.MapGet("/operations/{operationId:guid}", GetAsync)
            .WithName("GetOperation")
            .WithSummary("Get an operation")
            .WithDescription("A transfer or claim started by this gateway: its status, requested and completed Wh, and one leg per ETT request. " +
                "Pending legs are refreshed from ETT's request status by a background worker. Only operations of organizations the caller may act for are visible.")
            .Produces<OperationView>()
            .WithResponseExample(StatusCodes.Status200OK, "The operation as the journal holds it.", OperationView.Example)
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"operationId is not a GUID ({ProblemTypes.Validation}).")
            .WithProblemResponse(StatusCodes.Status404NotFound,
                $"No such operation, or one of an organization the caller may not act for ({ProblemTypes.NotFound}).");

        group.MapGet(OrganizationGroup.Route + "/operations", ListAsync)
            .RefuseAllZeroOrganization()
            .WithName("ListOperations")
            .WithSummary("List an organization's operations")
            .WithDescription("Newest first. `status` filters by accepted, running, completed, failed or partiallyCompleted; `limit` is 1 to 500 (default 50).")
            .Produces<OperationList>()
            .WithResponseExample(StatusCodes.Status200OK, "The organization's operations, newest first.", new OperationList([OperationView.Example]))
            .WithQueryValues("status", "accepted", "running", "completed", "failed", "partiallyCompleted")
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"organizationId is not a GUID, status is unknown or limit out of range ({ProblemTypes.Validation}).");
    }

    private static async Task<Results<Ok<OperationView>, ProblemHttpResult>> GetAsync(
        [Description("The operation's id, from the 202 answer or its Location header.")] Guid operationId, HttpContext http, IOperationStore journal, OrganizationAccess access, CancellationToken cancellationToken)
    {
        var operation = await journal.GetOperationAsync(operationId, cancellationToken);
        // Another organization's operation is reported missing, not forbidden: its existence is not the caller's business.
        if (operation is null || !access.Allows(http.User, operation.OrganizationId))
            return TypedResults.Problem($"No operation {operationId}.", statusCode: StatusCodes.Status404NotFound, title: "Operation not found", type: ProblemTypes.NotFound);
        return TypedResults.Ok(OperationView.From(operation));
    }

    private static async Task<Results<Ok<OperationList>, ValidationProblem>> ListAsync(
        Guid organizationId,
        [FromQuery, Description("Only operations in this status.")] string? status,
        [FromQuery, Description("At most this many, 1 to 500 (default 50).")] int? limit, IOperationStore journal, CancellationToken cancellationToken)
    {
        OperationStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<OperationStatus>(status, ignoreCase: true, out var parsed) || int.TryParse(status, out _))
                return Invalid("status", "Must be accepted, running, completed, failed or partiallyCompleted.");
            wanted = parsed;
        }
        if (limit is < 1 or > MaxLimit) return Invalid("limit", $"Must be between 1 and {MaxLimit}.");

        var operations = await journal.ListOperationsAsync(organizationId, wanted, limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Ok(new OperationList([.. operations.Select(OperationView.From)]));
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is invalid", type: ProblemTypes.Validation);
}
