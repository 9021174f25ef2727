using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Callers;

/// <summary>
/// ASP.NET Core's authentication middleware, answering a cached, still trusted caller token itself: with the token in
/// <see cref="ValidatedCallerTokens"/> the framework would still make a scope's authentication service, a JwtBearer
/// handler with its options and contexts and three layers of tasks, only for the handler's <c>MessageReceived</c>
/// event to answer from the same cache. Here the answer is what that path leaves — the principal and the
/// authentication features — and everything else (no token, unknown, expired or no longer trusted token, a
/// <c>MessageReceived</c> handler of someone else's, a scheme that is not JwtBearer) goes through the framework's
/// middleware as before, where JwtBearer validates and forgets what is no longer trusted.
/// </summary>
internal sealed class CachedCallerAuthentication(
    RequestDelegate next,
    IAuthenticationSchemeProvider schemes,
    CallerTokenCaching caching,
    IOptionsMonitor<JwtBearerOptions> jwt)
{
    private readonly AuthenticationMiddleware _framework = new(next, schemes);

    // The default authenticate scheme when it is JwtBearer's and no scheme handles requests itself, "" otherwise.
    private string? _scheme;

    public Task InvokeAsync(HttpContext context)
    {
        if (_scheme is not { } scheme) return ResolveSchemeAsync(context);
        if (scheme.Length == 0) return _framework.Invoke(context);
        var options = jwt.Get(scheme);
        if (!caching.AnswersFirst(options)) return _framework.Invoke(context);
        var answer = caching.AnswerAsync(scheme, context, given: null, options);
        return answer.IsCompletedSuccessfully ? Continue(context, scheme, answer.Result) : ContinueWhenAnsweredAsync(context, scheme, answer);
    }

    private Task Continue(HttpContext context, string scheme, ClaimsPrincipal? cached)
    {
        if (cached is null) return _framework.Invoke(context);
        Authenticate(context, scheme, cached);
        return next(context);
    }

    private async Task ContinueWhenAnsweredAsync(HttpContext context, string scheme, ValueTask<ClaimsPrincipal?> answer) =>
        await Continue(context, scheme, await answer);

    private async Task ResolveSchemeAsync(HttpContext context)
    {
        var byDefault = await schemes.GetDefaultAuthenticateSchemeAsync();
        var handlingRequests = await schemes.GetRequestHandlerSchemesAsync();
        _scheme = byDefault is not null && !handlingRequests.Any() && typeof(JwtBearerHandler).IsAssignableFrom(byDefault.HandlerType)
            ? byDefault.Name
            : "";
        await InvokeAsync(context);
    }

    /// <summary>What <see cref="AuthenticationMiddleware"/> leaves after a successful authentication.</summary>
    private static void Authenticate(HttpContext context, string scheme, ClaimsPrincipal principal)
    {
        var authenticated = new CallerAuthenticated(principal, scheme)
        {
            OriginalPath = context.Request.Path,
            OriginalPathBase = context.Request.PathBase,
        };
        context.Features.Set<IAuthenticationFeature>(authenticated);
        context.Features.Set<IHttpAuthenticationFeature>(authenticated);
        context.Features.Set<IAuthenticateResultFeature>(authenticated);
    }

    /// <summary>
    /// The three features of a successful authentication in one, as the framework's <see cref="AuthenticationFeature"/>
    /// and its (internal) AuthenticationFeatures; the result and its ticket are made when someone reads them (the
    /// framework's authorization does, <see cref="CallerAuthorization"/>'s shortcut does not).
    /// </summary>
    internal sealed class CallerAuthenticated(ClaimsPrincipal user, string scheme) : IAuthenticationFeature, IAuthenticateResultFeature, IHttpAuthenticationFeature
    {
        private AuthenticateResult? _result;
        private ClaimsPrincipal? _user = user;
        private string? _unreadScheme = scheme;

        public PathString OriginalPath { get; set; }

        public PathString OriginalPathBase { get; set; }

        public AuthenticateResult? AuthenticateResult
        {
            get
            {
                if (_unreadScheme is { } unread && _user is { } principal)
                    _result = AuthenticateResult.Success(new AuthenticationTicket(principal, unread));
                _unreadScheme = null;
                return _result;
            }
            set
            {
                _unreadScheme = null;
                _result = value;
                _user = value?.Principal;
            }
        }

        public ClaimsPrincipal? User
        {
            get => _user;
            set
            {
                _unreadScheme = null;
                _user = value;
                _result = null;
            }
        }
    }
}

internal static class CachedCallerAuthenticationExtensions
{
    // The key UseAuthentication sets; without it WebApplication puts the framework's middleware in front of the pipeline.
    private const string AuthenticationMiddlewareSet = "__AuthenticationMiddlewareSet";

    /// <summary>In place of <c>UseAuthentication</c>: the same, with cached caller tokens answered first.</summary>
    public static IApplicationBuilder UseCallerAuthentication(this IApplicationBuilder app)
    {
        app.Properties[AuthenticationMiddlewareSet] = true;
        return app.UseMiddleware<CachedCallerAuthentication>();
    }
}
