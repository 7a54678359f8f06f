using Engine.Api.Http;
using Engine.Silo.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Access;

/// <summary>A key for an integration, or (with <c>userId</c>) one that acts as that user; <c>expiresAt</c>
/// optional.</summary>
public sealed record CreateApiKeyRequest(string? Name, string? Role, Guid? UserId = null, DateTimeOffset? ExpiresAt = null);

/// <summary>The key itself appears only in this response; only its hash is stored.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Info, string Key);

/// <summary>API keys for integrations: Administrator only.</summary>
public static class ApiKeysApi
{
    public static void MapApiKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/api-keys").WithTags("Access").RequireAuthorization(Permissions.ManageSettings);
        group.MapPost("/", Create).WithSummary(
            "Create a key with a role (Administrator, Editor, Agent, Analyst), optionally for a user (it then follows that user's role and "
            + "stops when the user is disabled) and with an expiry. The key is shown once.");
        group.MapGet("/", async (HttpContext http, AccessStore s, CancellationToken ct) => TypedResults.Ok(await s.ListKeysAsync(http.User.BusinessId(), ct)));
        group.MapDelete("/{id:guid}", Revoke).WithSummary("Revoke a key: it stops working at once.");
    }

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> Create(CreateApiKeyRequest req, HttpContext http, AccessStore store,
        Engine.Silo.Team.UserStore users, TimeProvider clock, CancellationToken ct)
    {
        var user = req.UserId is { } u ? await users.GetAsync(http.User.BusinessId(), u, ct) : null;
        var v = new Validation()
            .Require(!string.IsNullOrWhiteSpace(req.Name) && req.Name.Length <= 100, "name", "Required, at most 100 characters.")
            .Require(req.Role is not null && Roles.All.Contains(req.Role), "role", $"One of {string.Join(", ", Roles.All)}.")
            .Require(req.UserId is null || user is not null, "userId", "No such user in this business.")
            .Require(user is null || user.Role == req.Role, "role", "A key issued for a user carries that user's role (and follows it when it changes).")
            .Require(user is null || !user.Disabled, "userId", "The user is disabled.")
            .Require(req.ExpiresAt is null || req.ExpiresAt > clock.GetUtcNow(), "expiresAt", "Must be in the future.");
        if (!v.IsValid) return v.Problem();
        var (info, key) = await store.CreateKeyAsync(http.User.Actor(), req.Name!.Trim(), req.Role!, req.UserId, ct, req.ExpiresAt);
        return TypedResults.Created($"/api/v1/api-keys/{info.Id}", new CreatedApiKey(info, key));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, HttpContext http, AccessStore store, CancellationToken ct) =>
        await store.RevokeKeyAsync(http.User.Actor(), id, ct) ? TypedResults.NoContent() : Problems.NotFound("active API key", id);
}
