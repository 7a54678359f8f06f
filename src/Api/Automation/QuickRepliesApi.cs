using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.QuickReplies;
using Engine.Silo.Automation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Automation;

public sealed record QuickReplyRequest(string? Shortcut, string? Name, IReadOnlyList<QuickReplyVersion>? Versions);
public sealed record RenderRequest(Guid? ConversationId, string? Scenario, Dictionary<string, string?>? Variables);
public sealed record RenderResponse(string Text);

/// <summary>Quick-reply templates: a shortcut, variables ({order_no}, {date}, {name}, {agent_name}…), scenario and language versions; usage per template and agent.</summary>
public static class QuickRepliesApi
{
    public static void MapQuickReplies(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/quick-replies").WithTags("Quick replies");
        g.MapPost("/", Create).RequireAuthorization(Permissions.ManageConversations);
        g.MapGet("/", async (HttpContext h, QuickReplies q, CancellationToken ct) => TypedResults.Ok(await q.ListAsync(h.User.BusinessId(), ct))).RequireAuthorization(Permissions.ReadConversations);
        g.MapPatch("/{id:guid}", Update).RequireAuthorization(Permissions.ManageConversations);
        g.MapDelete("/{id:guid}", async (Guid id, HttpContext h, QuickReplies q, CancellationToken ct) =>
                await q.DeleteAsync(h.User.Actor(), id, ct) is { } deleted ? Results.Ok(deleted) : Problems.NotFound("quick reply", id))
            .RequireAuthorization(Permissions.ManageConversations)
            .WithSummary("Delete a quick reply; answers what was removed. Its past uses stay counted in each agent's share.");
        g.MapPost("/{id:guid}/render", Render).RequireAuthorization(Permissions.Reply)
            .WithSummary("The text for a conversation: the scenario's version in the contact's language, with variables filled.");
        g.MapGet("/usage", async (HttpContext h, QuickReplies q, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
            {
                var report = await q.UsageAsync(h.User.BusinessId(), from, to, ct);
                return await Engine.Api.Reports.ReportsApi.Respond(h, format, report, "template-usage", (IEnumerable<object>?)null);
            })
            .Produces<QuickReplyUsageReport>().RequireAuthorization(Permissions.ReadReports)
            .WithSummary("Uses per template (under 5% of agent replies flagged) and each agent's share of replies from templates (under 60% flagged); default last 30 days. `format=csv` gives metric,value rows.");
    }

    private static Validation Validate(QuickReplyRequest r) => new Validation()
        .Require(r.Shortcut is { Length: > 1 and <= 30 } && r.Shortcut.StartsWith('/') && !r.Shortcut.Contains(' '), "shortcut", "Like /refund: a slash and up to 29 characters, no spaces.")
        .Require(!string.IsNullOrWhiteSpace(r.Name) && r.Name.Length <= 100, "name", "Required, at most 100 characters.")
        .Require(r.Versions is { Count: > 0 and <= 30 }, "versions", "1 to 30 versions.")
        .Require(r.Versions is null || r.Versions.All(v => !string.IsNullOrWhiteSpace(v.Scenario) && !string.IsNullOrWhiteSpace(v.Text) && v.Text.Length <= 4096),
            "versions", "Each version needs a scenario (standard, express, refusal…) and a text of at most 4,096 characters.")
        .Require(r.Versions is null || r.Versions.GroupBy(v => (v.Scenario.ToLowerInvariant(), v.Language?.ToLowerInvariant())).All(g => g.Count() == 1), "versions", "One version per scenario and language.");

    private static async Task<Results<Created<QuickReply>, ValidationProblem, ProblemHttpResult>> Create(QuickReplyRequest r, HttpContext h, QuickReplies q, CancellationToken ct)
    {
        var v = Validate(r);
        if (!v.IsValid) return v.Problem();
        var reply = await q.SaveAsync(h.User.Actor(), null, r.Shortcut!, r.Name!.Trim(), r.Versions!, ct);
        return TypedResults.Created($"/api/v1/quick-replies/{reply.Id}", reply);
    }

    private static async Task<Results<Ok<QuickReply>, ValidationProblem, ProblemHttpResult>> Update(Guid id, QuickReplyRequest r, HttpContext h, QuickReplies q, CancellationToken ct)
    {
        var current = await q.GetAsync(h.User.BusinessId(), id, ct);
        if (current is null) return Problems.NotFound("quick reply", id);
        var merged = new QuickReplyRequest(r.Shortcut ?? current.Shortcut, r.Name ?? current.Name, r.Versions ?? current.Versions);
        var v = Validate(merged);
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(
            await q.SaveAsync(h.User.Actor(), id, merged.Shortcut!, merged.Name!.Trim(), merged.Versions!, ct));
    }

    private static async Task<Results<Ok<RenderResponse>, ValidationProblem, ProblemHttpResult>> Render(Guid id, RenderRequest r, HttpContext h, QuickReplies q, CancellationToken ct)
    {
        if (r.ConversationId is null) return Problems.Invalid("conversationId", "Required.");
        var text = await q.RenderAsync(h.User.BusinessId(), id, r.ConversationId.Value, r.Scenario ?? "standard", r.Variables ?? [], h.User.UserId(), ct);
        return text is null ? Problems.Of(404, "not_found", "No such quick reply, conversation, or scenario.") : TypedResults.Ok(new RenderResponse(text));
    }
}
