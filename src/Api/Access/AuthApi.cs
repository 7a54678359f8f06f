using Engine.Api.Http;
using Engine.Grains.Interfaces.Conversations;
using Engine.Silo.Access;
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
        auth.MapPost("/login", LogIn).AllowAnonymous().RequireRateLimiting(LoginLimits.Policy)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(LoginLimits.MaxBodyBytes))
            .WithSummary("Email and password → a session token (also set as the engine_session cookie), valid 12 hours. Five failures in a row "
                + "block the account (429 with Retry-After, 30 s doubling to 15 min); each client address has a per-minute budget of attempts.");
        auth.MapPost("/logout", LogOut).RequireAuthorization(Permissions.Authenticated);

        var me = app.MapGroup("/api/v1/me").WithTags("Access").RequireAuthorization(Permissions.Authenticated);
        me.MapGet("/", Me).WithSummary("The signed-in user with their load (e.g. 3/5), presence and teams.");
        me.MapPost("/presence", SetPresence).WithSummary("online | away | busy | offline. Coming online offers waiting conversations of your teams.");
        me.MapPost("/heartbeat", Heartbeat).WithSummary("Keeps you online (online = activity within the last 5 minutes).");
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult, ValidationProblem>> LogIn(LoginRequest req, HttpContext http, UserStore users,
        LoginThrottle throttle, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation()
            .Require(!string.IsNullOrWhiteSpace(req.Email) && req.Email.Length <= 200, "email", "Required, at most 200 characters.")
            .Require(!string.IsNullOrEmpty(req.Password) && req.Password.Length <= 200, "password", "Required, at most 200 characters.");
        if (!v.IsValid) return v.Problem();
        if (await throttle.BlockedUntilAsync(req.Email!, ct) is { } blocked) return TooManyFailures(http, blocked, clock);
        if (await users.LogInAsync(req.Email!, req.Password!, ct) is not { } session)
        {
            if (await throttle.FailedAsync(req.Email!, ct) is { } until) return TooManyFailures(http, until, clock);
            return Problems.Of(401, "invalid_credentials", "Email or password is wrong, or the account is disabled.");
        }
        await throttle.SucceededAsync(req.Email!, ct);
        http.Response.Cookies.Append(ApiKeyAuthentication.SessionCookie, session.Token, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Expires = session.ExpiresAt, Path = "/",
        });
        return TypedResults.Ok(new LoginResponse(session.Token, session.ExpiresAt, session.User));
    }

    private static ProblemHttpResult TooManyFailures(HttpContext http, DateTimeOffset until, TimeProvider clock)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling((until - clock.GetUtcNow()).TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Of(429, "too_many_failed_logins", $"Too many failed log-ins for this account; try again in {seconds} s.");
    }

    /// <summary>Presence is the agent's grain's to change (it also decides when activity is written).</summary>
    private static Engine.Grains.Interfaces.Agents.IAgentGrain Agent(IGrainFactory grains, Guid user) =>
        grains.GetGrain<Engine.Grains.Interfaces.Agents.IAgentGrain>(Engine.Grains.Interfaces.GrainKeys.Agent(user));

    private static async Task<NoContent> LogOut(HttpContext http, UserStore users, IGrainFactory grains, CancellationToken ct)
    {
        if (ApiKeyAuthentication.SessionToken(http.Request) is { } token) await users.LogOutAsync(token, ct);
        if (http.User.UserId() is { } u) await Agent(grains, u).SetPresence(Presence.Offline, http.User.Actor().ToCommand());
        http.Response.Cookies.Delete(ApiKeyAuthentication.SessionCookie);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> Me(HttpContext http, UserStore users, CancellationToken ct) =>
        http.User.UserId() is { } u && await users.GetAsync(http.User.BusinessId(), u, ct) is { } user
            ? TypedResults.Ok(user) : Problems.Of(404, "not_a_user", "This API key is not issued for a user.");

    private static async Task<Results<Ok<UserView>, ProblemHttpResult, ValidationProblem>> SetPresence(PresenceRequest req, HttpContext http, UserStore users, IGrainFactory grains,
        CancellationToken ct)
    {
        if (req.Presence is null || !Presence.All.Contains(req.Presence)) return Problems.Invalid("presence", $"One of {string.Join(", ", Presence.All)}.");
        if (http.User.UserId() is not { } u) return Problems.Of(404, "not_a_user", "This API key is not issued for a user.");
        await Agent(grains, u).SetPresence(req.Presence, http.User.Actor().ToCommand());
        return TypedResults.Ok((await users.GetAsync(http.User.BusinessId(), u, ct))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Heartbeat(HttpContext http, UserStore users, CancellationToken ct)
    {
        if (http.User.UserId() is not { } u) return Problems.Of(404, "not_a_user", "This API key is not issued for a user.");
        await users.TouchAsync(u, null, null, ct);
        return TypedResults.NoContent();
    }
}
