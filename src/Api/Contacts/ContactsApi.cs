using System.Text.Json;
using Engine.Api.Access;
using Engine.Api.Conversations;
using Engine.Api.Http;
using Engine.Grains.Contacts;
using Engine.Silo.Contacts;
using Engine.Silo.Queries;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Contacts;

/// <summary>The customer's language, as a code such as en, th or zh-CN.</summary>
public sealed record LanguageRequest(string? Language);

/// <summary>A contact change. Attributes must be declared first; null removes one. Phone numbers are stored as E.164.</summary>
public sealed record ContactRequest(
    string? Name, string? Language, bool? Vip, Guid? DedicatedAgentId, bool ClearDedicatedAgent, string? Email, string? Phone, string? Country,
    Dictionary<string, JsonElement>? Attributes, IReadOnlyList<string>? Tags, decimal? LifetimeSpend, JsonElement? LastOrder);

/// <summary>Merge <c>sourceContactId</c> into this contact; <c>preferSource</c> lists fields where the source's value wins (name, email, phone, language, country, attributes.KEY).</summary>
public sealed record MergeRequest(Guid? SourceContactId, IReadOnlyList<string>? PreferSource);

public sealed record AttributeRequest(string? Key, string? Type, string? Label);
public sealed record ContactNoteRequest(string? Text);

/// <summary>Customers: profile, custom attributes, notes, history across channels, merging.</summary>
public static class ContactsApi
{
    public static void MapContacts(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/contacts").WithTags("Contacts");
        g.MapGet("/", List).RequireAuthorization(Permissions.ReadConversations)
            .WithSummary("Search: search (name, phone, email, external id), phone (any format; matched as E.164), email, attribute=key=value. Merged contacts are hidden unless includeMerged=true.");
        g.MapGet("/{id:guid}", Get).RequireAuthorization(Permissions.ReadConversations);
        g.MapPatch("/{id:guid}", Update).RequireAuthorization(Permissions.ManageConversations)
            .Refuses("invalid_attribute", "invalid_phone")
            .WithSummary("Profile fields, VIP, dedicated agent, custom attributes (declared types), tags, lifetime spend and last order.");
        g.MapPut("/{id:guid}/language", SetLanguage).RequireAuthorization(Permissions.Reply)
            .WithSummary("Correct the customer's language (also agents, for a customer whose open conversation they work): it drives language routing and quick-reply versions.");
        g.MapGet("/{id:guid}/conversations", History).RequireAuthorization(Permissions.ReadConversations)
            .WithSummary("Every conversation of this customer on every channel, including contacts merged into it (an "
                + "agent who may see the customer sees all of them).");
        g.MapGet("/{id:guid}/notes", Notes)
            .RequireAuthorization(Permissions.ReadConversations);
        g.MapPost("/{id:guid}/notes", AddNote).RequireAuthorization(Permissions.Reply).Refuses("not_assigned");
        g.MapDelete("/{id:guid}", Erase).RequireAuthorization(Permissions.Operate).Refuses("conversation_open")
            .WithSummary("Erase a customer's personal data (Administrator): every merged identity, message bodies and media, "
                + "notes, rating comments, event details. Conversations and message counts stay, anonymised, so reports are "
                + "unchanged; the answer says what was affected. 409 conversation_open while one of its conversations is open.");
        g.MapPost("/{id:guid}/merge", Merge).RequireAuthorization(Permissions.ManageConversations)
            .Refuses("already_merged", "invalid_merge")
            .WithSummary("One customer, one thread: merges another contact into this one in one transaction; both histories are kept; audited.");

        var attributes = app.MapGroup("/api/v1/contact-attributes").WithTags("Contacts");
        attributes.MapGet("/", async (HttpContext h, ContactStore s, CancellationToken ct) => TypedResults.Ok(await s.ListAttributesAsync(h.User.BusinessId(), ct)))
            .RequireAuthorization(Permissions.ReadConversations);
        attributes.MapPost("/", Declare).RequireAuthorization(Permissions.ManageSettings).WithSummary("Declare a custom attribute: key, type (text, number, boolean, date), label.");
    }

    private static async Task<Results<Ok<Page<ContactView>>, ValidationProblem>> List(HttpContext http, ConversationQueries q, CancellationToken ct,
        Guid? channelId = null, string? search = null, string? phone = null, string? email = null, string? attribute = null,
        bool includeMerged = false, string? cursor = null, int limit = 50)
    {
        var e164 = phone is null ? null : PhoneNumbers.ToE164(phone);
        var attr = attribute?.Split('=', 2);
        var v = new Validation()
            .Require(limit is >= 1 and <= 200, "limit", "Between 1 and 200.")
            .Require(cursor is null || Cursor.TryDecode(cursor, out _), "cursor", "Not a cursor this API returned.")
            .Require(phone is null || e164 is not null, "phone", "Not a phone number (give it with its country code).")
            .Require(attribute is null || attr is [{ Length: > 0 }, _], "attribute", "key=value");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await q.ContactsAsync(http.User.BusinessId(), channelId, search, cursor, limit, ct, e164, email,
            attr is [var k, var val] ? (k, val) : null, includeMerged, ConversationCommandsApi.Scope(http)));
    }

    // An agent sees a contact, its notes and its conversations only through the conversations they may see (theirs
    // and their teams').
    private static async Task<Results<Ok<ContactView>, ProblemHttpResult>> Get(Guid id, HttpContext http, ConversationQueries q, CancellationToken ct) =>
        await q.ContactAsync(http.User.BusinessId(), id, ct, ConversationCommandsApi.Scope(http)) is { } c ? TypedResults.Ok(c) : Problems.NotFound("contact", id);

    private static async Task<Results<Ok<IReadOnlyList<ConversationView>>, ProblemHttpResult>> History(Guid id, HttpContext http, ConversationQueries q, CancellationToken ct) =>
        await q.ContactAsync(http.User.BusinessId(), id, ct, ConversationCommandsApi.Scope(http)) is null
            ? Problems.NotFound("contact", id)
            // Whoever may see the customer (an agent: through a conversation of theirs or their teams') sees all of
            // their history: the conversations before are what the one in hand is about.
            : TypedResults.Ok(await q.HistoryAsync(http.User.BusinessId(), id, ct));

    private static async Task<Results<Ok<IReadOnlyList<ContactNote>>, ProblemHttpResult>> Notes(Guid id, HttpContext http, ConversationQueries q, ContactStore s,
        CancellationToken ct) =>
        await q.ContactAsync(http.User.BusinessId(), id, ct, ConversationCommandsApi.Scope(http)) is null
            ? Problems.NotFound("contact", id)
            : TypedResults.Ok(await s.NotesAsync(http.User.BusinessId(), id, ct));

    /// <summary>Anyone who works the customer's conversations may correct their language (an agent only for a customer
    /// with an open conversation assigned to them or waiting in their teams' queues).</summary>
    private static async Task<Results<Ok<ContactView>, ValidationProblem, ProblemHttpResult>> SetLanguage(Guid id, LanguageRequest r,
        HttpContext http, CustomerDesk contacts, ContactStore store, CancellationToken ct)
    {
        var v = new Validation().Require(r.Language is { Length: >= 2 and <= 10 } l && l.All(c => char.IsAsciiLetter(c) || c == '-'),
            "language", "A language code such as en, th, zh-CN.");
        if (!v.IsValid) return v.Problem();
        if (ConversationCommandsApi.Scope(http) is { } agent && !await store.WorkedByAsync(http.User.BusinessId(), id, agent, ct))
            return Problems.NotFound("contact", id);
        return await contacts.UpdateAsync(http.User.Actor(), id, new ContactChange(Language: r.Language), ct) is { } c
            ? TypedResults.Ok(c) : Problems.NotFound("contact", id);
    }

    private static async Task<Results<Ok<ContactView>, ValidationProblem, ProblemHttpResult>> Update(Guid id, ContactRequest r, HttpContext http,
        CustomerDesk contacts, UserStore users, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.Name is null || r.Name.Trim().Length is > 0 and <= 200, "name", "At most 200 characters.")
            .Require(r.Language is null || r.Language.Length is >= 2 and <= 10, "language", "A language code such as en, th, zh-CN.")
            .Require(r.Email is null || (r.Email.Contains('@') && r.Email.Length <= 200), "email", "An email address.")
            .Require(r.Phone is null || PhoneNumbers.ToE164(r.Phone) is not null, "phone", "A phone number with its country code, e.g. +66 81 234 5678.")
            .Require(r.Country is null || r.Country.Length == 2, "country", "An ISO 3166 two-letter code.")
            .Require(r.LifetimeSpend is null or >= 0, "lifetimeSpend", "Not negative.")
            .Require(r.LastOrder is null || r.LastOrder.Value.ValueKind == JsonValueKind.Object, "lastOrder", "An object, e.g. {\"id\":\"A-1\",\"amount\":12.5,\"currency\":\"USD\",\"at\":\"2026-03-01T10:00:00Z\"}.")
            .Require(r.DedicatedAgentId is null || await users.GetAsync(http.User.BusinessId(), r.DedicatedAgentId.Value, ct) is { Disabled: false },
                "dedicatedAgentId", "An active user of this business.");
        if (!v.IsValid) return v.Problem();
        return await contacts.UpdateAsync(http.User.Actor(), id, new ContactChange(r.Name?.Trim(), r.Language, r.Vip, r.DedicatedAgentId, r.ClearDedicatedAgent,
                r.Email, r.Phone, r.Country, r.Attributes, r.Tags, r.LifetimeSpend, r.LastOrder), ct)
            is { } c ? TypedResults.Ok(c) : Problems.NotFound("contact", id);
    }

    private static async Task<Results<Created<ContactNote>, ValidationProblem, ProblemHttpResult>> AddNote(Guid id, ContactNoteRequest r, HttpContext http, CustomerDesk s,
        ConversationQueries q, CancellationToken ct)
    {
        if (await q.ContactAsync(http.User.BusinessId(), id, ct, ConversationCommandsApi.Scope(http)) is null) return Problems.NotFound("contact", id);
        var v = new Validation().Require(!string.IsNullOrWhiteSpace(r.Text) && r.Text.Length <= 2000, "text", "Required, at most 2,000 characters.");
        if (!v.IsValid) return v.Problem();
        return await s.AddNoteAsync(http.User.Actor(), id, r.Text!.Trim(), ct) is { } note
            ? TypedResults.Created($"/api/v1/contacts/{id}/notes", note) : Problems.NotFound("contact", id);
    }

    private static async Task<Results<Ok<ErasureResult>, ProblemHttpResult>> Erase(Guid id, HttpContext http, CustomerDesk s,
        CancellationToken ct) =>
        await s.EraseAsync(http.User.Actor(), id, ct) is { } erased ? TypedResults.Ok(erased) : Problems.NotFound("contact", id);

    private static async Task<Results<Ok<ContactView>, ValidationProblem, ProblemHttpResult>> Merge(Guid id, MergeRequest r, HttpContext http, CustomerDesk s, CancellationToken ct)
    {
        var prefer = (r.PreferSource ?? []).ToHashSet();
        var v = new Validation()
            .Require(r.SourceContactId is not null, "sourceContactId", "Required: the contact to merge into this one.")
            .Require(prefer.All(f => ContactMerge.Fields.Contains(f) || f.StartsWith("attributes.")), "preferSource", $"Fields among {string.Join(", ", ContactMerge.Fields)}, attributes.KEY.");
        if (!v.IsValid) return v.Problem();
        return await s.MergeAsync(http.User.Actor(), id, r.SourceContactId!.Value, prefer, ct) is { } c ? TypedResults.Ok(c) : Problems.NotFound("contact", r.SourceContactId.Value);
    }

    private static async Task<Results<Ok<AttributeDefinition>, ValidationProblem>> Declare(AttributeRequest r, HttpContext http, ContactStore s, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.Key is { Length: > 0 and <= 50 } && r.Key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'), "key", "1–50 letters, digits or underscores.")
            .Require(r.Type is "text" or "number" or "boolean" or "date", "type", "text, number, boolean or date.")
            .Require(!string.IsNullOrWhiteSpace(r.Label) && r.Label.Length <= 100, "label", "Required, at most 100 characters.");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await s.DefineAttributeAsync(http.User.Actor(), r.Key!, r.Type!, r.Label!.Trim(), ct));
    }
}
