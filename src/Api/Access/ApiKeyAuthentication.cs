using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Engine.Silo.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Engine.Api.Access;

/// <summary>
/// API keys for integrations: <c>Authorization: Bearer ek_…</c> or <c>X-Api-Key: ek_…</c>. The key
/// carries its business and role. Failures answer with problem details.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessStore access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string BusinessClaim = "business";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers["X-Api-Key"].FirstOrDefault();
        var auth = Request.Headers.Authorization.FirstOrDefault();
        if (key is null && auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) key = auth[7..].Trim();
        if (string.IsNullOrEmpty(key)) return AuthenticateResult.NoResult();
        var info = await access.FindActiveAsync(key, Context.RequestAborted);
        if (info is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        var identity = new ClaimsIdentity([
            new Claim(ClaimTypes.NameIdentifier, info.Id.ToString()),
            new Claim(ClaimTypes.Name, info.Name),
            new Claim(ClaimTypes.Role, info.Role),
            new Claim(BusinessClaim, info.BusinessId.ToString()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Write(401, "unauthenticated", "Send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");

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
    public const string ReadConversations = "read-conversations"; // Administrator, Editor, Agent
    public const string Operate = "operate";                      // Administrator
    public const string Reply = "reply";                          // Administrator, Editor, Agent
    public const string ReadReports = "read-reports";             // Administrator, Editor, Analyst

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationOptions o)
    {
        o.AddPolicy(ManageSettings, p => p.RequireRole(Roles.Administrator));
        o.AddPolicy(ReadConversations, p => p.RequireRole(Roles.Administrator, Roles.Editor, Roles.Agent));
        o.AddPolicy(Operate, p => p.RequireRole(Roles.Administrator));
        o.AddPolicy(Reply, p => p.RequireRole(Roles.Administrator, Roles.Editor, Roles.Agent));
        o.AddPolicy(ReadReports, p => p.RequireRole(Roles.Administrator, Roles.Editor, Roles.Analyst));
    }
}

public static class PrincipalExtensions
{
    public static Guid BusinessId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(ApiKeyAuthentication.BusinessClaim)!);
}
