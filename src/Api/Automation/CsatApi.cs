using Engine.Api.Access;
using Engine.Silo.Automation;

namespace Engine.Api.Automation;

/// <summary>CSAT: the share of 4–5 ratings among answered rating requests (target ≥ 90%).</summary>
public static class CsatApi
{
    public static void MapCsat(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/reports/csat", async (HttpContext h, Csat csat, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null,
                Guid? agentId = null, Guid? teamId = null) => TypedResults.Ok(await csat.ReportAsync(h.User.BusinessId(), from, to, agentId, teamId, ct)))
            .WithTags("Reports").RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Rating requests sent when conversations were resolved (default: last 30 days), answers, average, CSAT = share of 4–5 ratings, distribution; by agent or team.");
}
