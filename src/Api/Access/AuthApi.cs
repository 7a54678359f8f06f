using Engine.Api.Http;
using Engine.Grains.Interfaces.Conversations;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Access;

public sealed record LoginRequest(string? Email, string? Password);
public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, UserView User);
public sealed record PresenceRequest(string? Presence);

/// <summary>Log-in for people (a bearer token and an HttpOnly cookie), who they are, and their presence.</summary>
public static class AuthApi
{
    public static void MapAuth(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Access");
        auth.MapPost("/login", LogIn).AllowAnonymous().WithSummary("Email and password → a session token (also set as the engine_session cookie), valid 12 hours.");
        auth.MapPost("/logout", LogOut).RequireAuthorization(Permissions.Authenticated);

        var me = app.MapGroup("/api/v1/me").WithTags("Access").RequireAuthorization(Permissions.Authenticated);
        me.MapGet("/", Me).WithSummary("The signed-in user with their load (e.g. 3/5), presence and teams.");
        me.MapPost("/presence", SetPresence).WithSummary("online | away | busy | offline. Coming online offers waiting conversations of your teams.");
        me.MapPost("/heartbeat", Heartbeat).WithSummary("Keeps you online (online = activity within the last 5 minutes).");
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult, ValidationProblem>> LogIn(LoginRequest req, HttpContext http, UserStore users, CancellationToken ct)
    {
        var v = new Validation().Require(!string.IsNullOrWhiteSpace(req.Email), "email", "Required.").Require(!string.IsNullOrEmpty(req.Password), "password", "Required.");
        if (!v.IsValid) return v.Problem();
        if (await users.LogInAsync(req.Email!, req.Password!, ct) is not { } session)
            return Problems.Of(401, "invalid_credentials", "Email or password is wrong, or the account is disabled.");
        http.Response.Cookies.Append(ApiKeyAuthentication.SessionCookie, session.Token, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Expires = session.ExpiresAt, Path = "/",
        });
        return TypedResults.Ok(new LoginResponse(session.Token, session.ExpiresAt, session.User));
    }

    private static async Task<NoContent> LogOut(HttpContext http, UserStore users, CancellationToken ct)
    {
        var auth = http.Request.Headers.Authorization.FirstOrDefault();
        var token = auth?.StartsWith("Bearer es_") == true ? auth[7..] : http.Request.Cookies[ApiKeyAuthentication.SessionCookie];
        if (token is not null) await users.LogOutAsync(token, ct);
        if (http.User.UserId() is { } u) await users.TouchAsync(u, Presence.Offline, http.User.Actor(), ct);
        http.Response.Cookies.Delete(ApiKeyAuthentication.SessionCookie);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> Me(HttpContext http, UserStore users, CancellationToken ct) =>
        http.User.UserId() is { } u && await users.GetAsync(http.User.BusinessId(), u, ct) is { } user
            ? TypedResults.Ok(user) : Problems.Of(404, "not_a_user", "This API key is not issued for a user.");

    private static async Task<Results<Ok<UserView>, ProblemHttpResult, ValidationProblem>> SetPresence(PresenceRequest req, HttpContext http, UserStore users, CancellationToken ct)
    {
        if (req.Presence is null || !Presence.All.Contains(req.Presence)) return Problems.Invalid("presence", $"One of {string.Join(", ", Presence.All)}.");
        if (http.User.UserId() is not { } u) return Problems.Of(404, "not_a_user", "This API key is not issued for a user.");
        await users.TouchAsync(u, req.Presence, http.User.Actor(), ct);
        return TypedResults.Ok((await users.GetAsync(http.User.BusinessId(), u, ct))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Heartbeat(HttpContext http, UserStore users, CancellationToken ct)
    {
        if (http.User.UserId() is not { } u) return Problems.Of(404, "not_a_user", "This API key is not issued for a user.");
        await users.TouchAsync(u, null, null, ct);
        return TypedResults.NoContent();
    }
}
