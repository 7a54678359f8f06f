using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Conversations;

/// <summary>Read API for integrators: conversations and their messages. Cursor-paginated.</summary>
public static class ConversationsApi
{
    public static void MapConversationReads(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/api/v1/conversations").WithTags("Conversations").RequireAuthorization(Permissions.ReadConversations);
        conversations.MapGet("/", List).WithSummary("Conversations, newest change first (order=asc for oldest first, e.g. to "
            + "sync with updatedSince). Pass nextCursor back as cursor. queued=true: waiting in a team queue; withBot=true: "
            + "the ones the bot is handling; waitingForHours=true: queued for a team whose hours are closed now.");
        conversations.MapGet("/{id:guid}", Get);
        conversations.MapGet("/{id:guid}/messages", Messages).WithSummary("The conversation's messages, oldest first, each with the provider's content.");

    }

    private static async Task<Results<Ok<Page<ConversationView>>, ValidationProblem>> List(
        HttpContext http, ConversationQueries queries, CancellationToken ct,
        string? status = null, Guid? channelId = null, Guid? contactId = null, Guid? assigneeId = null,
        string? label = null, DateTimeOffset? updatedSince = null, string? cursor = null, int limit = 50, string order = "desc",
        Guid? teamId = null, bool? queued = null, bool? withBot = null, bool? waitingForHours = null)
    {
        var v = new Validation()
            .Require(status is null or "open" or "resolved", "status", "Must be 'open' or 'resolved'.")
            .Require(order is "asc" or "desc", "order", "Must be 'asc' or 'desc'.")
            .Require(limit is >= 1 and <= 200, "limit", "Between 1 and 200.")
            .Require(cursor is null || Cursor.TryDecode(cursor, out _), "cursor", "Not a cursor this API returned.");
        if (!v.IsValid) return v.Problem();
        var filter = new ConversationFilter(status, channelId, contactId, assigneeId, label, updatedSince, cursor, limit, teamId, queued,
            withBot, waitingForHours);
        return TypedResults.Ok(await queries.ListAsync(http.User.BusinessId(), filter, order == "asc", ct, ConversationCommandsApi.Scope(http)));
    }

    private static async Task<Results<Ok<ConversationView>, ProblemHttpResult>> Get(Guid id, HttpContext http, ConversationQueries q, CancellationToken ct) =>
        await q.GetAsync(http.User.BusinessId(), id, ct, ConversationCommandsApi.Scope(http)) is { } c ? TypedResults.Ok(c) : Problems.NotFound("conversation", id);

    private static async Task<Results<Ok<Page<MessageView>>, ProblemHttpResult, ValidationProblem>> Messages(
        Guid id, HttpContext http, ConversationQueries q, CancellationToken ct, string? cursor = null, int limit = 100)
    {
        var v = new Validation()
            .Require(limit is >= 1 and <= 500, "limit", "Between 1 and 500.")
            .Require(cursor is null || Cursor.TryDecode(cursor, out _), "cursor", "Not a cursor this API returned.");
        if (!v.IsValid) return v.Problem();
        return await q.MessagesAsync(http.User.BusinessId(), id, cursor, limit, ct, ConversationCommandsApi.Scope(http)) is { } page
            ? TypedResults.Ok(page) : Problems.NotFound("conversation", id);
    }
}
