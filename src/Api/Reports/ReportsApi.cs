using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Alerts;
using Engine.Silo.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Reports;

public sealed record AlertRuleRequest(string? Kind, decimal? Threshold, bool? Enabled);

/// <summary>
/// Team and trend reports, alerts and their rules. Every report answers JSON, or CSV with <c>format=csv</c>
/// (list reports as a table, single figures as metric,value rows).
/// </summary>
public static class ReportsApi
{
    public static void MapReports(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/api/v1/reports").WithTags("Reports").RequireAuthorization(Permissions.ReadReports);
        reports.MapGet("/agents", Agents).Produces<AgentReport>()
            .WithSummary("Per agent over the period (default: last 30 days): received, reply speed (mean/median s), resolution rate (resolved by them within 24 h), " +
                         "transfer rate (transfers + escalations away ÷ received), rating (mean CSAT), online hours per day (time online ÷ days), handled per day " +
                         "(resolved by them, per local day) against the agent's baseline and the mean of the agents listed (± 15%). Flags: transfer rate > 15%, " +
                         "rating < 4, online < 6.5 h, resolution rate < 85%. Also continuity: returning contacts (resolved within 72 h before) served by their previous agent.");
        reports.MapGet("/heatmap", Heatmap).Produces<Heatmap>()
            .WithSummary("Conversations opened in the 7 days before `to` (default now) by local weekday (0 = Sunday) × hour, the 3 busiest hours, and per hour " +
                         "the agents Erlang C needs so that `serviceLevel` (default 0.9) get a first reply within `targetSeconds` (default: the first-response alert, 180 s), " +
                         "from the hour's mean arrivals and the measured handling time (opened → resolved of conversations people answered).");
        reports.MapGet("/daily", Daily).Produces<IReadOnlyList<DayFigures>>()
            .WithSummary("Key figures per local day for the last `days` days (default 14, at most 92): conversations, median first response, resolution rate, abandonment, bot-resolved share, CSAT.");
        reports.MapGet("/weekly", Weekly).Produces<WeeklyReport>()
            .WithSummary("The local week (Monday 00:00) holding `weekOf` (default: this week) against the week before: every key metric with its change and change in percent.");

        app.MapGet("/api/v1/alerts", Alerts).WithTags("Reports").RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Alerts raised by the rules, newest first; `open=true` lists those not cleared. Raising and clearing are also `alert.raised` / `alert.cleared` events on the live stream and to webhooks.");
        var rules = app.MapGroup("/api/v1/alert-rules").WithTags("Reports");
        rules.MapGet("/", (HttpContext h, Alerts alerts, CancellationToken ct) => alerts.RulesAsync(h.User.BusinessId(), ct))
            .RequireAuthorization(Permissions.ReadReports).WithSummary("The alert rules with their thresholds (defaults from the spec where not set).");
        rules.MapPut("/", SetRules).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Set thresholds: seconds for waiting (300), vip_waiting (30) and first_response (180); shares for abandonment (0.12, three days in a row) and csat (0.90).");
    }

    private static async Task<IResult> Agents(HttpContext h, TeamReports reports, TimeProvider clock, CancellationToken ct,
        DateTimeOffset? from = null, DateTimeOffset? to = null, Guid? teamId = null, string? format = null)
    {
        var (start, end) = ReportPeriod.Resolve(from, to, clock.GetUtcNow(), 30);
        if (end <= start) return Problems.Invalid("to", "`to` must be after `from`.");
        var report = await reports.AgentsAsync(h.User.BusinessId(), start, end, teamId, ct);
        return await Respond(h, format, report, "agents", report.Agents);
    }

    private static async Task<IResult> Heatmap(HttpContext h, TeamReports reports, Alerts alerts, TimeProvider clock, CancellationToken ct,
        DateTimeOffset? to = null, int? targetSeconds = null, double? serviceLevel = null, string? format = null)
    {
        var v = new Validation()
            .Require(targetSeconds is null or (>= 1 and <= 86400), "targetSeconds", "Between 1 and 86400 seconds.")
            .Require(serviceLevel is null or (> 0 and < 1), "serviceLevel", "A share between 0 and 1, such as 0.9.");
        if (!v.IsValid) return v.Problem();
        var business = h.User.BusinessId();
        var target = targetSeconds ?? (int)(await alerts.RulesAsync(business, ct)).Single(r => r.Kind == "first_response").Threshold;
        var report = await reports.HeatmapAsync(business, to ?? clock.GetUtcNow(), target, serviceLevel ?? 0.9, ct);
        return await Respond(h, format, report, "heatmap", report.Cells);
    }

    private static async Task<IResult> Daily(HttpContext h, Trends trends, CancellationToken ct, int days = 14, string? format = null)
    {
        if (days is < 1 or > 92) return Problems.Invalid("days", "Between 1 and 92 days.");
        var figures = await trends.DailyAsync(h.User.BusinessId(), days, ct);
        return await Respond(h, format, figures, "daily", figures);
    }

    private static async Task<IResult> Weekly(HttpContext h, Trends trends, CancellationToken ct, DateOnly? weekOf = null, string? format = null)
    {
        var report = await trends.WeeklyAsync(h.User.BusinessId(), weekOf, ct);
        return await Respond(h, format, report, "weekly", report.Metrics);
    }

    private static async Task<Ok<IReadOnlyList<AlertView>>> Alerts(HttpContext h, Alerts alerts, CancellationToken ct, bool open = false, int limit = 100) =>
        TypedResults.Ok(await alerts.ListAsync(h.User.BusinessId(), open, Math.Clamp(limit, 1, 500), ct));

    private static async Task<Results<Ok<IReadOnlyList<AlertRule>>, ValidationProblem>> SetRules(IReadOnlyList<AlertRuleRequest> body, HttpContext h, Alerts alerts, CancellationToken ct)
    {
        var v = new Validation().Require(body.Count > 0, "body", "A list of rules: [{ \"kind\": \"waiting\", \"threshold\": 300, \"enabled\": true }].");
        for (var i = 0; i < body.Count; i++)
            v.Require(body[i].Kind is not null && body[i].Threshold is not null, $"[{i}]", "Each rule needs a kind and a threshold.");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await alerts.SetRulesAsync(h.User.Actor(), body.Select(r => (r.Kind!, r.Threshold!.Value, r.Enabled ?? true)).ToList(), ct));
    }

    /// <summary>JSON, or with <c>format=csv</c> the report's rows as a CSV table (a download named after the report).</summary>
    public static async Task<IResult> Respond<TReport, TRow>(HttpContext h, string? format, TReport report, string name, IEnumerable<TRow>? rows)
    {
        if (format is null or "json") return TypedResults.Ok(report);
        if (format != "csv") return Problems.Invalid("format", "json (default) or csv.");
        h.Response.ContentType = "text/csv; charset=utf-8";
        h.Response.Headers.ContentDisposition = $"attachment; filename={name}.csv";
        await using var writer = new StreamWriter(h.Response.Body, new System.Text.UTF8Encoding(false));
        if (rows is null) await Csv.WriteMetricsAsync(report, writer);
        else await Csv.WriteTableAsync(rows, writer);
        await writer.FlushAsync();
        return TypedResults.Empty;
    }
}
