using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Assignment;
using Engine.Silo.Conversations;
using Engine.Silo.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Conversations;

public sealed record AssignRequest(Guid? AgentId);
public sealed record TransferRequest(Guid? ToAgentId, Guid? ToTeamId, string? Comment);
public sealed record CommentRequest(string? Comment);
public sealed record NoteRequest(string? Text);

/// <summary>
/// Working a conversation. Refusals are problem details with a code: conversation_locked (409, with
/// who holds it until when), capacity_reached, not_assigned (403), comment_required (400)…
/// </summary>
public static class ConversationCommandsApi
{
    public static void MapConversationCommands(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/conversations").WithTags("Conversations");
        g.MapPost("/{id:guid}/lock", (Guid id, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) => Run(h, q, id, () => c.LockAsync(h.User.Actor(), id), ct))
            .RequireAuthorization(Permissions.Reply).WithSummary("Open the conversation to work on it: yours alone for the business's lock length (7 min); 3 idle minutes while the customer waits for an answer return it to the pool.")
            .Refuses("conversation_locked", "not_assigned", "user_required");
        g.MapPost("/{id:guid}/unlock", (Guid id, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) => Run(h, q, id, () => c.UnlockAsync(h.User.Actor(), id), ct))
            .RequireAuthorization(Permissions.Reply)
            .Refuses("not_assigned", "user_required");
        g.MapPost("/{id:guid}/assign", (Guid id, AssignRequest r, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) =>
                r.AgentId is { } agent ? Run(h, q, id, () => c.AssignAsync(h.User.Actor(), id, agent), ct) : Task.FromResult<IResult>(Problems.Invalid("agentId", "Required.")))
            .RequireAuthorization(Permissions.ManageConversations).WithSummary("Assign to an agent (Editor, Administrator); refused with capacity_reached when they are full.")
            .Refuses("conversation_resolved", "conversation_locked", "capacity_reached");
        g.MapPost("/{id:guid}/claim", (Guid id, HttpContext h, TeamClaims a, ConversationQueries q, CancellationToken ct) => Claim(h, a, q, id, ct))
            .RequireAuthorization(Permissions.Reply).WithSummary("Claim mode: take this waiting conversation from one of your teams' queues.")
            .Refuses("not_waiting", "not_your_team", "user_required", "capacity_reached");
        g.MapPost("/claim", (HttpContext h, TeamClaims a, ConversationQueries q, CancellationToken ct) => Claim(h, a, q, null, ct))
            .RequireAuthorization(Permissions.Reply).WithSummary("Claim mode: take the next waiting conversation (VIP first, then longest waiting) of your teams. 204 when none waits.")
            .Refuses("user_required", "capacity_reached");
        g.MapPost("/{id:guid}/transfer", (Guid id, TransferRequest r, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) =>
                Run(h, q, id, () => c.TransferAsync(h.User.Actor(), id, r.ToAgentId, r.ToTeamId, r.Comment), ct))
            .RequireAuthorization(Permissions.Reply).WithSummary("Hand over to an agent or a team; a comment is required; counted per agent.")
            .Refuses("conversation_resolved", "conversation_locked", "comment_required", "invalid_target", "not_assigned", "capacity_reached");
        g.MapPost("/{id:guid}/escalate", (Guid id, CommentRequest r, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) =>
                Run(h, q, id, () => c.EscalateAsync(h.User.Actor(), id, r.Comment), ct))
            .RequireAuthorization(Permissions.Reply).WithSummary("Up one tier (frontline → senior → supervisor); a comment is required.")
            .Refuses("conversation_locked", "comment_required", "no_team", "top_tier", "not_assigned");
        g.MapPost("/{id:guid}/resolve", (Guid id, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) => Run(h, q, id, () => c.ResolveAsync(h.User.Actor(), id), ct))
            .RequireAuthorization(Permissions.Reply).WithSummary("Resolve: frees the agent's capacity at once.")
            .Refuses("already_resolved", "conversation_locked", "not_assigned");
        g.MapPost("/{id:guid}/reopen", (Guid id, HttpContext h, ConversationDesk c, ConversationQueries q, CancellationToken ct) => Run(h, q, id, () => c.ReopenAsync(h.User.Actor(), id), ct))
            .RequireAuthorization(Permissions.ManageConversations)
            .Refuses("not_resolved");
        g.MapGet("/{id:guid}/notes", Notes).RequireAuthorization(Permissions.ReadConversations)
            .WithSummary("Team notes; ?kind=handover for the comments of transfers and escalations, ?kind=all for both.");
        g.MapPost("/{id:guid}/notes", AddNote).RequireAuthorization(Permissions.Reply)
            .Refuses("user_required", "not_assigned")
            .WithSummary("A private team note (at most 300 characters; suggested format time|type|progress), never sent to the customer.");
    }

    private static async Task<IResult> Run(HttpContext http, ConversationQueries queries, Guid id, Func<Task> command, CancellationToken ct)
    {
        await command();
        return TypedResults.Ok(await queries.GetAsync(http.User.BusinessId(), id, ct));
    }

    private static async Task<IResult> Claim(HttpContext http, TeamClaims claims, ConversationQueries queries, Guid? id, CancellationToken ct) =>
        await claims.ClaimAsync(http.User.Actor(), id, ct) is { } claimed
            ? TypedResults.Ok(await queries.GetAsync(http.User.BusinessId(), claimed, ct))
            : TypedResults.NoContent();

    /// <summary>Team notes (<c>kind=note</c>, the default), the hand-over comments of transfers and escalations
    /// (<c>kind=handover</c>), or both (<c>kind=all</c>).</summary>
    private static async Task<Results<Ok<IReadOnlyList<NoteView>>, ProblemHttpResult, ValidationProblem>> Notes(Guid id,
        HttpContext http, ConversationCommands c, ConversationQueries q, CancellationToken ct, string? kind = null)
    {
        kind ??= "note";
        var v = new Validation().Require(kind is "note" or "handover" or "all", "kind", "One of note, handover, all.");
        if (!v.IsValid) return v.Problem();
        if (await q.GetAsync(http.User.BusinessId(), id, ct, Scope(http)) is null) return Problems.NotFound("conversation", id);
        var notes = await c.NotesAsync(http.User.BusinessId(), id, ct);
        return TypedResults.Ok<IReadOnlyList<NoteView>>(kind == "all" ? notes : notes.Where(n => n.Kind == kind).ToList());
    }

    private static async Task<Results<Created<NoteView>, ValidationProblem>> AddNote(Guid id, NoteRequest r, HttpContext http, ConversationDesk c, CancellationToken ct)
    {
        var v = new Validation()
            .Require(!string.IsNullOrWhiteSpace(r.Text), "text", "Required.")
            .Require(r.Text is null || r.Text.Length <= ConversationCommands.NoteMax, "text",
                $"At most {ConversationCommands.NoteMax} characters ({(r.Text?.Length ?? 0) - ConversationCommands.NoteMax} too many).");
        if (!v.IsValid) return v.Problem();
        var note = await c.AddNoteAsync(http.User.Actor(), id, r.Text!.Trim(), ct);
        return TypedResults.Created($"/api/v1/conversations/{id}/notes", note);
    }

    /// <summary>Agents see the conversations assigned to them and their teams' queues; other roles see all.</summary>
    public static Guid? Scope(HttpContext http) => http.User.IsInRole("Agent") ? http.User.UserId() ?? Guid.Empty : null;
}
