using Ett.Sandbox.Ett;
using System.Security.Cryptography;
using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Sandbox.Tokens;

/// <summary>Who called the simulated ETT, as read from a validated sandbox ETT token.</summary>
internal sealed record EttCaller(string ClientId, Guid OrganizationId, IReadOnlySet<Guid>? OrganizationIds, bool IsTrial)
{
    /// <summary>
    /// B2C leaves <c>org_ids</c> out of a zero-consent token; ETT's IdentityDescriptor.GetClaimAsGuidList then throws in
    /// AccessDescriptor, so every organization-scoped call is a 500, even for the client's own organization.
    /// </summary>
    public bool LacksOrganizationIds => OrganizationIds is null;

    /// <summary>ETT's AccessDescriptor: the client's own organization, or one frozen into org_ids at issue.</summary>
    public bool MayAccess(Guid organizationId) => organizationId == OrganizationId || OrganizationIds?.Contains(organizationId) == true;
}

/// <summary>Issues and validates the tokens of the sandbox's stand-in for ETT's B2C client-credentials policy.</summary>
internal sealed class EttTokenService(SandboxState state, TimeProvider time, IOptions<SandboxOptions> options)
{
    private const string Issuer = "https://sandbox.ett.local/b2c/v2.0/";

    // ETT's JwtBearer keeps ASP.NET's default clock skew.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly SymmetricSecurityKey _key = new(RandomNumberGenerator.GetBytes(32));
    private readonly JsonWebTokenHandler _handler = new();

    public async Task<IResult> IssueAsync(HttpRequest request)
    {
        var credentials = await ClientCredentials.ReadAsync(request);
        if (credentials.Reject() is { } rejection)
        {
            Record(request, secret: null);
            return rejection;
        }

        EttClient? client;
        Organization? organization;
        List<Guid> consents;
        ClientSecret? secret;
        lock (state.Sync)
        {
            client = state.Data.Clients.GetValueOrDefault(credentials.ClientId!);
            organization = client is null ? null : state.Data.Organizations[client.OrganizationId];
            consents = client is null ? [] : [.. state.Data.Consents.GetValueOrDefault(client.ClientId) ?? []];
            secret = client is null ? null : ValidSecret(client, credentials.ClientSecret!, state.Now);
        }

        Record(request, secret);
        if (client is null || organization is null || secret is null)
        {
            return ClientCredentials.InvalidClient();
        }

        var now = time.GetUtcNow();
        var lifetime = options.Value.EttTokenLifetime;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = client.ClientId,
            ["sub_type"] = "External",
            ["org_id"] = client.OrganizationId.ToString(),
            ["org_name"] = organization.Name,
            ["org_status"] = client.IsTrial ? "trial" : "normal",
            ["scope"] = "dashboard production meters certificates wallet",
        };
        if (consents.Count > 0)
        {
            // ETT freezes the consenting organizations into the token at issue (space-separated); B2C omits an empty claim.
            claims["org_ids"] = string.Join(' ', consents);
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
            Claims = claims,
        });

        return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = (long)lifetime.TotalSeconds }, EttResults.Json);
    }

    // B2C takes any of the application's passwords within its start and end; a deleted or expired one is invalid_client.
    private static ClientSecret? ValidSecret(EttClient client, string presented, long now)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(presented);
        return client.Secrets.FirstOrDefault(s => s.StartDate <= now && now < s.EndDate
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(s.Value), bytes));
    }

    private void Record(HttpRequest request, ClientSecret? secret) =>
        state.Record(new EttRequest(request.Method, request.PathBase + request.Path, request.QueryString.Value ?? "",
            null, request.Headers.Authorization.Count > 0, Body: null, SecretKeyId: secret?.KeyId));

    public async Task<EttCaller?> ValidateAsync(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var result = await _handler.ValidateTokenAsync(authorization["Bearer ".Length..].Trim(), new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            // ETT does not validate the audience.
            ValidateAudience = false,
            IssuerSigningKey = _key,
            // Lifetime is checked below against the TimeProvider.
            ValidateLifetime = false,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            return null;
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (now < token.ValidFrom - ClockSkew || now >= token.ValidTo + ClockSkew)
        {
            return null;
        }

        return new EttCaller(
            token.Subject,
            Guid.Parse(token.GetPayloadValue<string>("org_id")),
            token.TryGetPayloadValue<string>("org_ids", out var ids)
                ? ids.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToHashSet()
                : null,
            token.GetPayloadValue<string>("org_status") == "trial");
    }
}
