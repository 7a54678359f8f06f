using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Agents;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Engine.Silo.Access;
using Engine.Silo.Audit;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Engine.Api.Access;

/// <summary>
/// Who is calling. Integrations send an API key (<c>Authorization: Bearer ek_…</c> or <c>X-Api-Key</c>);
/// people send the session token from log-in (<c>Authorization: Bearer es_…</c> or the
/// <c>engine_session</c> cookie). Both carry a business and a role; a session (or a key issued for a
/// user) also carries the user, whose activity keeps them online. Failures answer with problem details.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessStore access, UserStore users,
    IGrainFactory grains)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string BusinessClaim = "business";
    public const string UserClaim = "user";
    public const string ActorTypeClaim = "actor_type";
    public const string SessionCookie = "engine_session";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Request.Headers["X-Api-Key"].FirstOrDefault();
        var auth = Request.Headers.Authorization.FirstOrDefault();
        if (token is null && auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = auth[7..].Trim();
        token ??= Request.Cookies[SessionCookie];
        if (string.IsNullOrEmpty(token)) return AuthenticateResult.NoResult();

        if (token.StartsWith("es_"))
        {
            if (await users.FindSessionAsync(token, Context.RequestAborted) is not { } s) return AuthenticateResult.Fail("Unknown or expired session.");
            await SeenAsync(s.Id);
            return Success("user", s.Id.ToString(), s.Name, s.Role, s.Business, s.Id);
        }
        var key = await access.FindActiveAsync(token, Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        if (key.UserId is { } user) await SeenAsync(user);
        return Success("api_key", key.Id.ToString(), key.Name, key.Role, key.BusinessId, key.UserId);
    }

    /// <summary>The session token this request carries (bearer <c>es_…</c> or the cookie), if any.</summary>
    public static string? SessionToken(HttpRequest request)
    {
        var auth = request.Headers.Authorization.FirstOrDefault();
        return auth?.StartsWith("Bearer es_") == true ? auth[7..].Trim() : request.Cookies[SessionCookie];
    }

    /// <summary>The user's agent grain decides, for the whole cluster, when their activity is written.</summary>
    private Task SeenAsync(Guid user) => grains.GetGrain<IAgentGrain>(GrainKeys.Agent(user)).Active();

    private static AuthenticateResult Success(string type, string id, string name, string role, Guid business, Guid? user)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, id), new(ClaimTypes.Name, name), new(ClaimTypes.Role, role),
            new(BusinessClaim, business.ToString()), new(ActorTypeClaim, type),
        };
        if (user is { } u) claims.Add(new Claim(UserClaim, u.ToString()));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Write(401, "unauthenticated", "Send an API key ('Authorization: Bearer <key>' or 'X-Api-Key: <key>') or log in.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Write(403, "forbidden", "Your role does not allow this action.");

    private Task Write(int status, string code, string detail)
    {
        Response.StatusCode = status;
        Response.ContentType = "application/problem+json";
        return Response.WriteAsync(JsonSerializer.Serialize(new
        {
            type = $"https://tools.ietf.org/html/rfc9110#section-15.5.{(status == 401 ? 2 : 4)}",
            title = status == 401 ? "Unauthorized" : "Forbidden",
            status,
            detail,
            code,
        }));
    }
}

/// <summary>What each role may do. Every endpoint names one of these.</summary>
public static class Permissions
{
    public const string ManageSettings = "manage-settings";       // Administrator
    public const string ReadConversations = "read-conversations"; // Administrator, Editor, Agent (agents: their own and their queues)
    public const string Operate = "operate";                      // Administrator
    public const string Reply = "reply";                          // Administrator, Editor, Agent
    public const string ManageConversations = "manage-conversations"; // Administrator, Editor
    public const string ReadTeam = "read-team";                   // Administrator, Editor
    public const string ReadReports = "read-reports";             // Administrator, Editor, Analyst
    public const string Authenticated = "authenticated";          // any role

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationOptions o)
    {
        o.AddPolicy(ManageSettings, p => p.RequireRole(Roles.Administrator));
        o.AddPolicy(ReadConversations, p => p.RequireRole(Roles.Administrator, Roles.Editor, Roles.Agent));
        o.AddPolicy(Operate, p => p.RequireRole(Roles.Administrator));
        o.AddPolicy(Reply, p => p.RequireRole(Roles.Administrator, Roles.Editor, Roles.Agent));
        o.AddPolicy(ManageConversations, p => p.RequireRole(Roles.Administrator, Roles.Editor));
        o.AddPolicy(ReadTeam, p => p.RequireRole(Roles.Administrator, Roles.Editor));
        o.AddPolicy(ReadReports, p => p.RequireRole(Roles.Administrator, Roles.Editor, Roles.Analyst));
        o.AddPolicy(Authenticated, p => p.RequireAuthenticatedUser());
    }
}

public static class PrincipalExtensions
{
    public static Guid BusinessId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(ApiKeyAuthentication.BusinessClaim)!);

    public static Guid? UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthentication.UserClaim) is { } u ? Guid.Parse(u) : null;

    public static Actor Actor(this ClaimsPrincipal user) => new(
        user.FindFirstValue(ApiKeyAuthentication.ActorTypeClaim) ?? "api_key", user.FindFirstValue(ClaimTypes.NameIdentifier)!,
        user.FindFirstValue(ClaimTypes.Name), user.BusinessId(), user.FindFirstValue(ClaimTypes.Role)!, user.UserId());
}
