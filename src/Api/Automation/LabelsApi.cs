using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Automation;
using Engine.Silo.Conversations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Automation;

public sealed record LabelRequest(string? Name, Guid? ParentId);
public sealed record LabelCreated(LabelView Label, string? Warning);
public sealed record LabelRuleRequest(Guid? LabelId, IReadOnlyList<string>? Keywords, string? Pattern);
public sealed record ApplyLabelRequest(Guid? LabelId);
/// <summary>A new name, and/or retired (true: offered nowhere, applied by no rule; false: restored).</summary>
public sealed record LabelUpdate(string? Name, bool? Retired);
/// <summary>New keywords and/or pattern for an auto-label rule ("" as the pattern removes it).</summary>
public sealed record LabelRuleUpdate(IReadOnlyList<string>? Keywords, string? Pattern);

/// <summary>Labels (main → sub), auto-label rules, labelling conversations, and label usage.</summary>
public static class LabelsApi
{
    public static void MapLabels(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/labels").WithTags("Automation");
        g.MapPost("/", Create).RequireAuthorization(Permissions.ManageSettings).WithSummary("A main label, or a sub-label with parentId (two levels). Warns above 20 labels.");
        g.MapGet("/", async (HttpContext h, Labels s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(h.User.BusinessId(), ct))).RequireAuthorization(Permissions.ReadConversations);
        g.MapPatch("/{id:guid}", Update).RequireAuthorization(Permissions.ManageSettings).Refuses("label_exists")
            .WithSummary("Rename (sub-labels and the conversations carrying it follow) or retire/restore a label. A retired "
                + "label stays on its conversations and in reports, is offered nowhere and applied by no rule.");
        g.MapDelete("/{id:guid}", Delete).RequireAuthorization(Permissions.ManageSettings).Refuses("label_in_use")
            .WithSummary("Delete a label no conversation ever had, with its rules; answers what it removed. 409 label_in_use "
                + "for one in use (retire it instead) or with sub-labels.");
        g.MapGet("/usage", async (HttpContext h, Labels s, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
            {
                var report = await s.UsageAsync(h.User.BusinessId(), from, to, ct);
                return await Engine.Api.Reports.ReportsApi.Respond(h, format, report, "label-usage", report.Labels);
            })
            .Produces<LabelUsageReport>().RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Conversations per label over a period (default: the last quarter); labels on under 5% are flagged for retirement. `format=csv` for a table.");
        app.MapGet("/api/v1/label-rules", async (HttpContext h, Labels s, CancellationToken ct) => TypedResults.Ok(await s.RulesAsync(h.User.BusinessId(), ct)))
            .WithTags("Automation").RequireAuthorization(Permissions.ReadTeam)
            .WithSummary("Auto-label rules; `flagged` ones had their pattern run out of time on a message (it matched nothing there).");
        app.MapPost("/api/v1/label-rules", CreateRule).WithTags("Automation").RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Auto-label: keywords or a regex on the customer's message (e.g. a tracking number → Logistics).");
        app.MapPatch("/api/v1/label-rules/{id:guid}", UpdateRule).WithTags("Automation")
            .RequireAuthorization(Permissions.ManageSettings).Refuses("invalid_rule")
            .WithSummary("Change an auto-label rule's keywords and/or pattern (\"\" removes the pattern); it labels the "
                + "next message by them.");
        app.MapDelete("/api/v1/label-rules/{id:guid}", DeleteRule).WithTags("Automation")
            .RequireAuthorization(Permissions.ManageSettings).WithSummary("Delete an auto-label rule; answers the rule removed.");
        app.MapPost("/api/v1/conversations/{id:guid}/labels", (Guid id, ApplyLabelRequest r, HttpContext h, ConversationDesk s) => Set(id, r.LabelId, true, h, s))
            .WithTags("Conversations").RequireAuthorization(Permissions.Reply);
        app.MapDelete("/api/v1/conversations/{id:guid}/labels/{labelId:guid}", (Guid id, Guid labelId, HttpContext h, ConversationDesk s) => Set(id, labelId, false, h, s))
            .WithTags("Conversations").RequireAuthorization(Permissions.Reply);
    }

    private static async Task<Results<Created<LabelCreated>, ValidationProblem>> Create(LabelRequest r, HttpContext http, Labels s, CancellationToken ct)
    {
        var v = new Validation().Require(!string.IsNullOrWhiteSpace(r.Name) && r.Name.Length <= 60 && !r.Name.Contains('/'), "name", "1–60 characters, no '/'.");
        if (!v.IsValid) return v.Problem();
        var label = await s.CreateAsync(http.User.Actor(), r.Name!.Trim(), r.ParentId, ct);
        var count = (await s.ListAsync(http.User.BusinessId(), ct)).Count;
        return TypedResults.Created($"/api/v1/labels/{label.Id}", new LabelCreated(label,
            count > Labels.WarnAbove ? $"{count} labels: more than {Labels.WarnAbove} make labelling inconsistent." : null));
    }

    private static async Task<Results<Created<LabelRule>, ValidationProblem>> CreateRule(LabelRuleRequest r, HttpContext http, Labels s, CancellationToken ct)
    {
        var patternProblem = r.Pattern is null ? null : Engine.Grains.Automation.RulePattern.Problem(r.Pattern);
        var v = new Validation()
            .Require(r.LabelId is not null, "labelId", "Required.")
            .Require(r.Keywords is { Count: > 0 } || r.Pattern is not null, "keywords", "Keywords, a pattern, or both.")
            .Require(patternProblem is null, "pattern", patternProblem ?? "");
        if (!v.IsValid) return v.Problem();
        var rule = await s.AddRuleAsync(http.User.Actor(), r.LabelId!.Value, r.Keywords ?? [], r.Pattern, ct);
        return TypedResults.Created("/api/v1/label-rules", rule);
    }

    private static async Task<IResult> Update(Guid id, LabelUpdate r, HttpContext http, Labels s, CancellationToken ct)
    {
        var v = new Validation().Require(r.Name is null || !string.IsNullOrWhiteSpace(r.Name) && r.Name.Trim().Length <= 60
            && !r.Name.Contains('/'), "name", "1–60 characters, no '/'.")
            .Require(r.Name is not null || r.Retired is not null, "name", "Give a new name, retired, or both.");
        if (!v.IsValid) return v.Problem();
        return await s.UpdateAsync(http.User.Actor(), id, r.Name?.Trim(), r.Retired, ct) is { } label
            ? TypedResults.Ok(label) : Problems.NotFound("label", id);
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, Labels s, CancellationToken ct) =>
        await s.DeleteAsync(http.User.Actor(), id, ct) is { } deleted ? TypedResults.Ok(deleted) : Problems.NotFound("label", id);

    private static async Task<IResult> UpdateRule(Guid id, LabelRuleUpdate r, HttpContext http, Labels s, CancellationToken ct)
    {
        var pattern = r.Pattern is { Length: > 0 } p ? p : null;
        var problem = pattern is null ? null : Engine.Grains.Automation.RulePattern.Problem(pattern);
        var v = new Validation()
            .Require(r.Keywords is not null || r.Pattern is not null, "keywords", "Give keywords, a pattern, or both.")
            .Require(r.Keywords is null || r.Keywords.All(k => !string.IsNullOrWhiteSpace(k)), "keywords", "No empty keywords.")
            .Require(problem is null, "pattern", problem ?? "");
        if (!v.IsValid) return v.Problem();
        var keywords = r.Keywords?.Select(k => k.Trim()).ToList();
        return await s.UpdateRuleAsync(http.User.Actor(), id, keywords, pattern, r.Pattern == "", ct) is { } rule
            ? TypedResults.Ok(rule) : Problems.NotFound("label rule", id);
    }

    private static async Task<IResult> DeleteRule(Guid id, HttpContext http, Labels s, CancellationToken ct) =>
        await s.DeleteRuleAsync(http.User.Actor(), id, ct) is { } rule ? TypedResults.Ok(rule) : Problems.NotFound("label rule", id);

    /// <summary>By hand, through the conversation's grain (a refusal "not_found" when the conversation or label is
    /// not this business's).</summary>
    private static async Task<IResult> Set(Guid id, Guid? label, bool apply, HttpContext http, ConversationDesk desk)
    {
        if (label is null) return Problems.Invalid("labelId", "Required.");
        await desk.LabelAsync(http.User.Actor(), id, label.Value, apply);
        return TypedResults.NoContent();
    }
}
