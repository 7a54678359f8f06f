using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Audit;
using Engine.Silo.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Operations;

/// <summary>The audit log: every change with actor, time to the second, before and after. Administrators only.</summary>
public static class AuditApi
{
    public static void MapAudit(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/audit", List).WithTags("Operations").RequireAuthorization(Permissions.Operate)
            .WithSummary("Newest first. Filters: entityType, entityId, actorId, action, from, to; page with cursor.");

    private static async Task<Results<Ok<Page<AuditEntry>>, ValidationProblem>> List(HttpContext http, AuditLog audit, CancellationToken ct,
        string? entityType = null, string? entityId = null, string? actorId = null, string? action = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, string? cursor = null, int limit = 100)
    {
        long? before = null;
        var v = new Validation()
            .Require(limit is >= 1 and <= 500, "limit", "Between 1 and 500.")
            .Require(cursor is null || long.TryParse(cursor, out _), "cursor", "Not a cursor this API returned.");
        if (!v.IsValid) return v.Problem();
        if (cursor is not null) before = long.Parse(cursor);
        return TypedResults.Ok(await audit.ListAsync(http.User.BusinessId(), entityType, entityId, actorId, action, from, to, before, limit, ct));
    }
}
