using System.Text.Json;
using System.Text.Json.Serialization;
using Ett.Sandbox.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Control;

/// <summary>
/// The sandbox's own control endpoints (JSON, no token): faults in force, the ledger for checking invariants from outside,
/// the request log, waiting until ETT has nothing in hand, and reset. Not part of ETT.
/// </summary>
internal static class ControlApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static void Map(IEndpointRouteBuilder control)
    {
        control.MapGet("/faults", (SandboxFaults faults) => Results.Json(faults.List(), Json));
        control.MapPost("/faults", AddFault);
        control.MapDelete("/faults", (SandboxFaults faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        control.MapDelete("/faults/{id:guid}", (SandboxFaults faults, Guid id) => faults.Remove(id) ? Results.NoContent() : Results.NotFound());
        control.MapGet("/faults/applied", (SandboxFaults faults) => Results.Json(faults.Applied, Json));
        control.MapGet("/ledger", Ledger);
        control.MapGet("/requests", (SandboxState state) => Results.Json(state.Requests, Json));
        control.MapPost("/idle", async (SandboxState state, SandboxTraffic traffic, HttpContext http) =>
        {
            await traffic.WhenIdleAsync(state, http.RequestAborted);
            return Results.NoContent();
        });
        control.MapPost("/reset", (SandboxState state) =>
        {
            state.Reset();
            return Results.NoContent();
        });
    }

    private static async Task<IResult> AddFault(HttpRequest request, SandboxFaults faults)
    {
        SandboxFault? fault;
        try
        {
            fault = await request.ReadFromJsonAsync<SandboxFault>(Json, request.HttpContext.RequestAborted);
        }
        catch (JsonException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status400BadRequest, title: "Invalid fault");
        }

        if (fault is null || string.IsNullOrEmpty(fault.Path))
        {
            return Results.Problem("A fault needs a kind and a path.", statusCode: StatusCodes.Status400BadRequest, title: "Invalid fault");
        }

        var id = faults.Add(fault);
        return Results.Json(new { id }, Json, statusCode: StatusCodes.Status201Created);
    }

    // Every wallet, or one organization's: slices in every state, each moved slice and each request with ETT's request id.
    private static IResult Ledger(SandboxState state, Guid? organizationId)
    {
        if (organizationId is { } id)
        {
            return state.Ledger(id) is { } ledger ? Results.Json(ledger, Json) : Results.NotFound();
        }

        return Results.Json(state.Ledgers(), Json);
    }
}
