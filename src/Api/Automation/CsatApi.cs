using Engine.Api.Access;
using Engine.Silo.Automation;

namespace Engine.Api.Automation;

/// <summary>CSAT: the share of 4–5 ratings among answered rating requests (target ≥ 90%).</summary>
public static class CsatApi
{
    public static void MapCsat(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/reports/csat", async (HttpContext h, Csat csat, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null,
                Guid? agentId = null, Guid? teamId = null, string? format = null) =>
                await Engine.Api.Reports.ReportsApi.Respond(h, format, await csat.ReportAsync(h.User.BusinessId(), from, to, agentId, teamId, ct), "csat", (IEnumerable<object>?)null))
            .Produces<CsatReport>()
            .WithTags("Reports").RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Rating requests sent when conversations were resolved (default: last 30 days), answers, average, CSAT = share of 4–5 ratings, distribution; by agent or team.");

    public static void MapExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/reports/conversations.csv", async (HttpContext h, Engine.Silo.Reports.ConversationExport export, TimeProvider clock, CancellationToken ct,
                DateTimeOffset? from = null, DateTimeOffset? to = null) =>
            {
                var (start, end) = Engine.Silo.Reports.ReportPeriod.Resolve(from, to, clock.GetUtcNow(), 30);
                h.Response.ContentType = "text/csv; charset=utf-8";
                h.Response.Headers.ContentDisposition = "attachment; filename=conversations.csv";
                await using var writer = new StreamWriter(h.Response.Body, new System.Text.UTF8Encoding(false));
                await export.WriteCsvAsync(h.User.BusinessId(), start, end, writer, ct);
            })
            .WithTags("Reports").RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Per-conversation data as CSV (default: last 30 days): times, first response and resolution seconds, team, agent, hand-overs, bot outcome, labels, CSAT, conversion.");

    public static void MapSummary(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/reports/summary", async (HttpContext h, Engine.Silo.Reports.ConversationReport report, TimeProvider clock, CancellationToken ct,
                DateTimeOffset? from = null, DateTimeOffset? to = null, Guid? channelId = null, Guid? teamId = null, Guid? agentId = null, string? label = null, string? language = null,
                string? format = null) =>
            {
                var (start, end) = Engine.Silo.Reports.ReportPeriod.Resolve(from, to, clock.GetUtcNow(), 30);
                var summary = await report.SummaryAsync(h.User.BusinessId(), new Engine.Silo.Reports.ReportFilter(start, end, channelId, teamId, agentId, label, language), ct);
                return await Engine.Api.Reports.ReportsApi.Respond(h, format, summary, "summary", (IEnumerable<object>?)null);
            })
            .Produces<Engine.Silo.Reports.ConversationSummary>()
            .WithTags("Reports").RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Key figures for conversations opened in the period (default: last 30 days), filterable by channel, team, agent, label and language. " +
                         "First response = first human reply − opening (or the bot's hand-over); bot replies and notes do not count. Resolution time = resolved − opened. " +
                         "Resolution rate = share resolved within 24 h. Abandonment = share resolved with no human reply and not resolved by the bot. " +
                         "Transfer rate = share handed over between people at least once. Bot-resolved share, and hours saved = bot-resolved × mean human resolution time. " +
                         "Reply time = each human reply − the first customer message it answers (or the bot's hand-over). " +
                         "Durations in seconds with mean, median, p90 and standard deviation. `format=csv` gives metric,value rows.");
}
