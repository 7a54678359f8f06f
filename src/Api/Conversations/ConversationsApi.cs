using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Conversations;

/// <summary>Read API for integrators: conversations, their messages, and contacts. Cursor-paginated.</summary>
public static class ConversationsApi
{
    public static void MapConversationReads(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/api/v1/conversations").WithTags("Conversations").RequireAuthorization(Permissions.ReadConversations);
        conversations.MapGet("/", List).WithSummary("Conversations, newest change first (order=asc for oldest first, e.g. to sync with updatedSince). Pass nextCursor back as cursor.");
        conversations.MapGet("/{id:guid}", Get);
        conversations.MapGet("/{id:guid}/messages", Messages).WithSummary("The conversation's messages, oldest first, each with the provider's content.");

        var contacts = app.MapGroup("/api/v1/contacts").WithTags("Contacts").RequireAuthorization(Permissions.ReadConversations);
        contacts.MapGet("/", Contacts).WithSummary("Contacts; search matches name, phone or external id.");
        contacts.MapGet("/{id:guid}", Contact);
        contacts.MapPatch("/{id:guid}", UpdateContact).RequireAuthorization(Permissions.ManageConversations)
            .WithSummary("VIP flag (jumps the queue), dedicated agent (dedicatedAgentId; null with clearDedicatedAgent=true removes it), language, name.");
    }

    private static async Task<Results<Ok<Page<ConversationView>>, ValidationProblem>> List(
        HttpContext http, ConversationQueries queries, CancellationToken ct,
        string? status = null, Guid? channelId = null, Guid? contactId = null, Guid? assigneeId = null,
        string? label = null, DateTimeOffset? updatedSince = null, string? cursor = null, int limit = 50, string order = "desc",
        Guid? teamId = null, bool? queued = null)
    {
        var v = new Validation()
            .Require(status is null or "open" or "resolved", "status", "Must be 'open' or 'resolved'.")
            .Require(order is "asc" or "desc", "order", "Must be 'asc' or 'desc'.")
            .Require(limit is >= 1 and <= 200, "limit", "Between 1 and 200.")
            .Require(cursor is null || Cursor.TryDecode(cursor, out _), "cursor", "Not a cursor this API returned.");
        if (!v.IsValid) return v.Problem();
        var filter = new ConversationFilter(status, channelId, contactId, assigneeId, label, updatedSince, cursor, limit, teamId, queued);
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

    private static async Task<Results<Ok<Page<ContactView>>, ValidationProblem>> Contacts(
        HttpContext http, ConversationQueries q, CancellationToken ct, Guid? channelId = null, string? search = null, string? cursor = null, int limit = 50)
    {
        var v = new Validation()
            .Require(limit is >= 1 and <= 200, "limit", "Between 1 and 200.")
            .Require(cursor is null || Cursor.TryDecode(cursor, out _), "cursor", "Not a cursor this API returned.");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await q.ContactsAsync(http.User.BusinessId(), channelId, search, cursor, limit, ct));
    }

    public sealed record ContactRequest(string? Name, string? Language, bool? Vip, Guid? DedicatedAgentId, bool ClearDedicatedAgent = false);

    private static async Task<Results<Ok<ContactView>, ValidationProblem, ProblemHttpResult>> UpdateContact(Guid id, ContactRequest r, HttpContext http,
        Engine.Silo.Contacts.ContactStore contacts, Engine.Silo.Team.UserStore users, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.Name is null || r.Name.Trim().Length is > 0 and <= 200, "name", "At most 200 characters.")
            .Require(r.Language is null || r.Language.Length is >= 2 and <= 10, "language", "A language code such as en, th, zh-CN.")
            .Require(r.DedicatedAgentId is null || await users.GetAsync(http.User.BusinessId(), r.DedicatedAgentId.Value, ct) is { Disabled: false },
                "dedicatedAgentId", "An active user of this business.");
        if (!v.IsValid) return v.Problem();
        return await contacts.UpdateAsync(http.User.Actor(), id, new(r.Name?.Trim(), r.Language, r.Vip, r.DedicatedAgentId, r.ClearDedicatedAgent), ct)
            is { } c ? TypedResults.Ok(c) : Problems.NotFound("contact", id);
    }

    private static async Task<Results<Ok<ContactView>, ProblemHttpResult>> Contact(Guid id, HttpContext http, ConversationQueries q, CancellationToken ct) =>
        await q.ContactAsync(http.User.BusinessId(), id, ct) is { } c ? TypedResults.Ok(c) : Problems.NotFound("contact", id);
}
