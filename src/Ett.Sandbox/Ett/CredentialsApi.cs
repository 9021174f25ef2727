using System.Security.Cryptography;
using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

/// <summary>
/// ETT's credentials API for third parties (EO <c>Authorization.API/API/Authorization/Controllers/CredentialController.cs</c>,
/// <c>Services/CredentialService.cs</c>, PR #1874): list, create (the value returned once, valid a year) and delete a
/// client's B2C secrets, at most two. A created secret works at the token endpoint at once; a deleted one never again.
/// </summary>
internal static class CredentialsApi
{
    private const string Route = "/api/authorization/clients/{clientId:guid}/credentials";
    private const int MaximumSecrets = 2;

    public static void Map(IEndpointRouteBuilder ett)
    {
        var gate = new EttGate(OrganizationCheck.None);
        ett.MapGet(Route, List).AddEndpointFilter(gate);
        ett.MapPost(Route, Create).AddEndpointFilter(gate);
        ett.MapDelete(Route + "/{keyId:guid}", Delete).AddEndpointFilter(gate);
    }

    private static IResult List(HttpContext http, SandboxState state, Guid clientId)
    {
        lock (state.Sync)
        {
            if (OwnClient(http, state, clientId) is not { } client) return NotAuthorized();
            var result = client.Secrets.Select(s => new { hint = s.Hint, keyId = s.KeyId, startDate = s.StartDate, endDate = s.EndDate }).ToList();
            return EttResults.Ok(new { result });
        }
    }

    // 200, not 201 (the controller's Ok(response)).
    private static IResult Create(HttpContext http, SandboxState state, TimeProvider time, Guid clientId)
    {
        lock (state.Sync)
        {
            if (OwnClient(http, state, clientId) is not { } client) return NotAuthorized();
            // Graph's TooManyAppPasswords, as CredentialService words it.
            if (client.Secrets.Count >= MaximumSecrets)
                return EttResults.EttError(StatusCodes.Status400BadRequest, "Not allowed to add 3 credentials. You can only add a maximum of 2 credentials. Delete one of the existing credentials in order to add a new one.");

            var now = time.GetUtcNow();
            var secret = ClientSecret.Create(Guid.NewGuid(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)), now, now.AddYears(1));
            client.Secrets.Add(secret);
            return EttResults.Ok(new { hint = secret.Hint, keyId = secret.KeyId, startDate = secret.StartDate, endDate = secret.EndDate, secret = secret.Value });
        }
    }

    // 204. No secrets at all is ResourceNotFoundException (404); an unknown key is Graph's error, a BusinessException (400).
    private static IResult Delete(HttpContext http, SandboxState state, Guid clientId, Guid keyId)
    {
        lock (state.Sync)
        {
            if (OwnClient(http, state, clientId) is not { } client) return NotAuthorized();
            if (client.Secrets.Count == 0) return EttResults.EttError(StatusCodes.Status404NotFound, $"Resource with id {keyId} could not be found.");
            if (client.Secrets.RemoveAll(s => s.KeyId == keyId) == 0) return EttResults.EttError(StatusCodes.Status400BadRequest, "Could not delete credential for client.");
            return EttResults.Empty(StatusCodes.Status204NoContent);
        }
    }

    // ExternalClientHasAccessThroughOrganization: the client must belong to the token's org_id, else ForbiddenException.
    private static EttClient? OwnClient(HttpContext http, SandboxState state, Guid clientId)
    {
        var caller = EttGate.CallerOf(http);
        return state.Data.Clients.GetValueOrDefault(clientId.ToString()) is { } client && client.OrganizationId == caller.OrganizationId ? client : null;
    }

    private static IResult NotAuthorized() => EttResults.EttError(StatusCodes.Status403Forbidden, "Not authorized to perform action");
}
