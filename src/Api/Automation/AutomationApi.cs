using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.Automation;
using Engine.Silo.Automation;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Automation;

public sealed record AutoReplyRequest(string? Name, string? Trigger, IReadOnlyList<string>? Keywords, string? Language, string? ActiveFrom, string? ActiveTo,
    IReadOnlyList<string>? Variants, IReadOnlyList<BotButton>? Buttons, int? Priority, bool? Enabled);

public sealed record AutoReplyResponse(AutoReplyRule Rule, IReadOnlyList<string> Warnings);

public sealed record DryRunRequest(string? Text, string? ButtonId, Guid? ContactId, DateTimeOffset? At, bool FirstContact = false);

public sealed record DryRunResponse(string Outcome, string Why, BotReply? Reply, Guid? RoutedTeam, bool Offline, string Hours);

public sealed record RoutingRuleRequest(Guid? TeamId, IReadOnlyList<string>? Keywords, string? Pattern, int? Priority, IReadOnlyList<string>? Labels = null);

/// <summary>
/// Auto-replies (first contact, keyword, offline hours; ≤ 5 variants of ≤ 256 characters, ≤ 3 buttons of ≤ 20),
/// keyword routing to teams, business hours, and a dry run that says what would happen to a message and why.
/// Changes take effect for the next message on every node (rules are read per message, not cached).
/// </summary>
public static class AutomationApi
{
    public const int MaxUpdateBytes = 5 * 1024;

    public static void MapAutomation(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/auto-replies").WithTags("Automation");
        g.MapPost("/", Create).RequireAuthorization(Permissions.ManageSettings);
        g.MapGet("/", async (HttpContext h, AutomationStore s, CancellationToken ct) => TypedResults.Ok(await s.ListRulesAsync(h.User.BusinessId(), ct)))
            .RequireAuthorization(Permissions.ReadTeam);
        g.MapGet("/{id:guid}", Get).RequireAuthorization(Permissions.ReadTeam);
        g.MapPatch("/{id:guid}", Update).RequireAuthorization(Permissions.ManageConversations)
            .WithSummary("Change a rule at run time (e.g. switch to 'limited pre-order' when stock is low); at most 5 KB; used for the next message on every node.");
        g.MapDelete("/{id:guid}", Delete).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Delete an auto-reply; answers the rule removed.");
        g.MapPost("/dry-run", DryRun).RequireAuthorization(Permissions.ReadTeam)
            .WithSummary("Which rule, hand-over or routing would apply to a message (optionally for a contact and a time), and why. Sends nothing.");

        g.MapPost("/test-set", AddTests).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Sample questions with the rule name each should get ('hand_over' or 'none' also allowed); replace=true starts over.");
        g.MapGet("/match-rate", async (HttpContext h, MatchRate m, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null) =>
                TypedResults.Ok(await m.ReportAsync(h.User.BusinessId(), from, to, ct)))
            .RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Match rate over the test set (target ≥ 90%), with the misses; and the share of live customer messages a rule answered (default: last 7 days).");

        var r = app.MapGroup("/api/v1/routing-rules").WithTags("Automation");
        r.MapPost("/", CreateRouting).RequireAuthorization(Permissions.ManageSettings).WithSummary("Keywords, a regex pattern (e.g. a tracking number) or auto-labels → a team's queue.");
        r.MapGet("/", async (HttpContext h, AutomationStore s, CancellationToken ct) => TypedResults.Ok((await s.ForBusinessAsync(h.User.BusinessId(), ct)).Routing))
            .RequireAuthorization(Permissions.ReadTeam);
        r.MapDelete("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, HttpContext h, AutomationStore s, CancellationToken ct) =>
            await s.DeleteRoutingAsync(h.User.Actor(), id, ct) ? TypedResults.NoContent() : Problems.NotFound("routing rule", id)).RequireAuthorization(Permissions.ManageSettings);

        var hours = app.MapGroup("/api/v1/business-hours").WithTags("Automation");
        hours.MapGet("/", GetHours).RequireAuthorization(Permissions.ReadTeam);
        hours.MapPut("/", PutHours).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Weekly intervals per day (\"08:00\"–\"22:00\", several a day; an end before the start runs past midnight), holidays, IANA time zone.");
    }

    private static (AutoReplyRule? Rule, Validation Check) Build(Guid id, AutoReplyRequest r, AutoReplyRule? current)
    {
        var v = new Validation();
        TimeOnly? Time(string? s, TimeOnly? fallback, string field)
        {
            if (s is null) return fallback;
            if (s.Length == 0) return null;
            if (TimeOnly.TryParseExact(s, "HH:mm", out var t)) return t;
            v.Require(false, field, "HH:mm, e.g. 11:30.");
            return null;
        }
        var rule = new AutoReplyRule(id, r.Name?.Trim() ?? current?.Name ?? "", r.Trigger ?? current?.Trigger ?? "", r.Keywords ?? current?.Keywords ?? [],
            r.Language ?? current?.Language, Time(r.ActiveFrom, current?.ActiveFrom, "activeFrom"), Time(r.ActiveTo, current?.ActiveTo, "activeTo"),
            r.Variants ?? current?.Variants ?? [], r.Buttons ?? current?.Buttons ?? [], r.Priority ?? current?.Priority ?? 0, r.Enabled ?? current?.Enabled ?? true);
        return (rule, v);
    }

    private static async Task<Results<Created<AutoReplyResponse>, ValidationProblem>> Create(AutoReplyRequest r, HttpContext http, AutomationStore s, CancellationToken ct)
    {
        var (rule, v) = Build(Guid.CreateVersion7(), r, null);
        var (errors, warnings) = AutoReplyRules.Validate(rule!);
        if (!v.IsValid) return v.Problem();
        if (errors.Count > 0) return Problems.Invalid(errors);
        await s.SaveRuleAsync(http.User.Actor(), rule!, creating: true, ct);
        return TypedResults.Created($"/api/v1/auto-replies/{rule!.Id}", new AutoReplyResponse(rule, warnings));
    }

    private static async Task<Results<Ok<AutoReplyRule>, ProblemHttpResult>> Get(Guid id, HttpContext h, AutomationStore s, CancellationToken ct) =>
        await s.GetRuleAsync(h.User.BusinessId(), id, ct) is { } rule ? TypedResults.Ok(rule) : Problems.NotFound("auto-reply", id);

    private static async Task<Results<Ok<AutoReplyResponse>, ValidationProblem, ProblemHttpResult>> Update(Guid id, HttpRequest request, HttpContext http, AutomationStore s, CancellationToken ct)
    {
        var body = await Engine.Api.Webhooks.WebhookBody.ReadAsync(request, ct, MaxUpdateBytes);
        if (body is null) return Problems.Of(413, "payload_too_large", $"A run-time update is at most {MaxUpdateBytes} bytes.");
        AutoReplyRequest? r;
        try { r = System.Text.Json.JsonSerializer.Deserialize<AutoReplyRequest>(body, Engine.Silo.Runtime.Effects.Json); }
        catch (System.Text.Json.JsonException e) { return Problems.Of(400, "malformed_json", e.Message); }
        if (r is null) return Problems.Of(400, "malformed_json", "A JSON object is required.");
        var current = await s.GetRuleAsync(http.User.BusinessId(), id, ct);
        if (current is null) return Problems.NotFound("auto-reply", id);
        var (rule, v) = Build(id, r, current);
        var (errors, warnings) = AutoReplyRules.Validate(rule!);
        if (!v.IsValid) return v.Problem();
        if (errors.Count > 0) return Problems.Invalid(errors);
        await s.SaveRuleAsync(http.User.Actor(), rule!, creating: false, ct);
        return TypedResults.Ok(new AutoReplyResponse(rule!, warnings));
    }

    private static async Task<Results<Ok<AutoReplyRule>, ProblemHttpResult>> Delete(Guid id, HttpContext h, AutomationStore s,
        CancellationToken ct) =>
        await s.DeleteRuleAsync(h.User.Actor(), id, ct) is { } deleted
            ? TypedResults.Ok(deleted) : Problems.NotFound("auto-reply", id);

    private static async Task<Results<Ok<DryRunResponse>, ValidationProblem>> DryRun(DryRunRequest r, HttpContext http,
        AutomationStore s, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(r.Text) && r.ButtonId is null) return Problems.Invalid("text", "A message text (or a buttonId) is required.");
        var set = await s.ForBusinessAsync(http.User.BusinessId(), ct);
        var at = r.At ?? clock.GetUtcNow();
        int automated = 0; string? name = null, language = null;
        if (r.ContactId is { } contact)
            (name, language, automated) = await s.BotFactsAsync(http.User.BusinessId(), contact, at, ct);
        var bot = BotTurn.Decide(new BotContext(r.Text, r.ButtonId, r.FirstContact, false, automated, set.Rules, set.Hours, at, name, language,
            BotTurn.DefaultHandOverKeywords), new Random(0));
        var routed = bot.Reply is null ? set.Routing.FirstOrDefault(x => r.Text is not null && x.Matches(r.Text))?.TeamId ?? set.DefaultTeam : null;
        return TypedResults.Ok(new DryRunResponse(bot.Reply is not null ? "reply" : bot.HandOver ? "hand_over" : "none", bot.Why, bot.Reply, routed,
            !set.Hours.IsOpen(at), set.Hours.Describe()));
    }

    public sealed record TestSetRequest(IReadOnlyList<TestQuestionRequest>? Questions, bool Replace = false);
    public sealed record TestQuestionRequest(string? Text, string? Expected);

    private static async Task<Results<Ok<int>, ValidationProblem>> AddTests(TestSetRequest r, HttpContext http, MatchRate m, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.Questions is { Count: > 0 and <= 1000 }, "questions", "1 to 1,000 questions.")
            .Require(r.Questions is null || r.Questions.All(q => !string.IsNullOrWhiteSpace(q.Text) && q.Text.Length <= 1000 && !string.IsNullOrWhiteSpace(q.Expected)),
                "questions", "Each question needs text (≤ 1,000 characters) and the expected rule name.");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await m.AddAsync(http.User.Actor(), r.Questions!.Select(q => (q.Text!.Trim(), q.Expected!.Trim())).ToList(), r.Replace, ct));
    }

    private static async Task<Results<Created<RoutingRule>, ValidationProblem>> CreateRouting(RoutingRuleRequest r, HttpContext http, AutomationStore s, TeamStore teams, CancellationToken ct)
    {
        var patternProblem = r.Pattern is null ? null : Engine.Grains.Automation.RulePattern.Problem(r.Pattern);
        var v = new Validation()
            .Require(r.TeamId is { } t && await teams.GetAsync(http.User.BusinessId(), t, ct) is not null, "teamId", "A team of this business.")
            .Require(r.Keywords is { Count: > 0 } || r.Pattern is not null || r.Labels is { Count: > 0 }, "keywords", "Keywords, a pattern, or labels (paths such as Logistics).")
            .Require(patternProblem is null, "pattern", patternProblem ?? "");
        if (!v.IsValid) return v.Problem();
        var rule = await s.AddRoutingAsync(http.User.Actor(), r.TeamId!.Value, r.Keywords ?? [], r.Pattern, r.Priority ?? 0, ct, r.Labels);
        return TypedResults.Created($"/api/v1/routing-rules/{rule.Id}", rule);
    }

    private static async Task<Ok<BusinessHoursView>> GetHours(HttpContext h, AutomationStore s, TimeProvider clock, CancellationToken ct)
    {
        var hours = (await s.ForBusinessAsync(h.User.BusinessId(), ct)).Hours;
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new BusinessHoursView(hours.TimeZone, hours.Describe(), hours.IsOpen(now), hours.NextOpening(now)));
    }

    /// <summary>An hours document as the business's and the teams' hours take it.</summary>
    public static Validation ValidateHours(BusinessHoursDocument r) => new Validation()
        .Require(r.TimeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out _), "timeZone", "An IANA time zone such as Asia/Bangkok.")
        .Require(r.Week is not null && r.Week.Values.All(list => list.All(i => TimeOnly.TryParseExact(i.From, "HH:mm", out _) && TimeOnly.TryParseExact(i.To, "HH:mm", out _))),
            "week", "Intervals as {\"from\":\"08:00\",\"to\":\"22:00\"} per day.");

    private static async Task<Results<Ok<BusinessHoursView>, ValidationProblem>> PutHours(BusinessHoursDocument r, HttpContext h, AutomationStore s, TimeProvider clock, CancellationToken ct)
    {
        var v = ValidateHours(r);
        if (!v.IsValid) return v.Problem();
        await s.SetHoursAsync(h.User.Actor(), r with { Holidays = r.Holidays ?? [] }, ct);
        return await GetHours(h, s, clock, ct) is var ok ? TypedResults.Ok(ok.Value) : throw new InvalidOperationException();
    }
}

public sealed record BusinessHoursView(string TimeZone, string Hours, bool OpenNow, DateTime? NextOpening);
