using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.Contacts;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Messaging;
using Engine.Silo.Channels;
using Engine.Silo.Outbound;
using Engine.Silo.Queries;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Mvc;

namespace Engine.Api.Conversations;

/// <summary>Who to start a conversation with (an existing contact, or a phone number in any common notation: it is
/// kept in E.164), on which WhatsApp channel, with which approved template and its parameters.</summary>
public sealed record StartConversationRequest(Guid? ChannelId, Guid? ContactId, string? Phone, OutboundTemplate? Template,
    string? IdempotencyKey = null);

/// <summary>The conversation started and its first message (queued until the provider takes it).</summary>
public sealed record StartConversationResponse(ConversationView Conversation, MessageView Message);

public static class StartConversationApi
{
    public static void MapStartConversation(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/conversations", Start).WithTags("Conversations").RequireAuthorization(Permissions.Reply)
            .Produces<StartConversationResponse>(StatusCodes.Status201Created)
            .Refuses("conversation_open", "channel_disabled", "unknown_template", "template_not_approved",
                "template_parameters", "invalid_target", "forbidden", "idempotency_key_reused")
            .WithSummary("Start a conversation with a customer who has none open on the channel: WhatsApp only (a "
                + "template is the only message allowed before the customer writes). Give contactId or phone (normalised "
                + "to E.164; a new number becomes a contact). Editors and administrators may; agents when the business "
                + "allows it (agentsStartConversations), and the conversation is then assigned to whoever started it. "
                + "409 conversation_open when one is open already.");

    private static async Task<IResult> Start(StartConversationRequest req, HttpContext http, ChannelStore channels,
        OutboundService outbound, ConversationQueries queries, BusinessSettingsStore settings,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyHeader, CancellationToken ct)
    {
        var business = http.User.BusinessId();
        if (http.User.IsInRole("Agent") && !(await settings.GetAsync(business, ct)).AgentsStartConversations)
            return Problems.Of(403, "forbidden", "Agents of this business may not start conversations (agentsStartConversations).");
        var phone = req.Phone is null ? null : PhoneNumbers.ToE164(req.Phone);
        var channel = req.ChannelId is { } channelId ? await channels.FindCachedAsync(channelId, ct) : null;
        var key = req.IdempotencyKey ?? idempotencyHeader;
        var v = new Validation()
            .Require(req.ChannelId is not null, "channelId", "Required: the WhatsApp channel to write from.")
            .Require(req.ChannelId is null || channel is not null && channel.BusinessId == business, "channelId", "No such channel.")
            .Require(channel is null || channel.Kind == ChannelKinds.WhatsApp, "channelId",
                "WeChat conversations begin when the customer writes: its customer-service messages answer them.")
            .Require((req.ContactId is null) != (req.Phone is null), "contactId", "Give exactly one of contactId and phone.")
            .Require(req.Phone is null || phone is not null, "phone", "A phone number with its country code, e.g. +66 81 234 5678.")
            .Require(req.Template is not null, "template", "Required: the approved template to open with.")
            .Require(key is not { Length: > 200 }, "idempotencyKey", "At most 200 characters.");
        if (!v.IsValid) return v.Problem();
        var message = new OutboundMessage("template", Template: req.Template);
        var check = OutboundRules.Validate(message, ChannelKinds.WhatsApp);
        if (!check.IsValid) return Problems.Invalid(check.Errors.ToDictionary(e => e.Key, e => e.Value));

        var fingerprint = System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new { start = true, request = req with { IdempotencyKey = null } }));
        var result = await outbound.StartAsync(business, channel!.Id, req.ContactId, phone, message, check.Warnings, key,
            http.User.Actor(), ct, fingerprint);
        if (result is SendResult.Refused r) return Problems.Of(RefusedHandler.StatusOf(r.Code), r.Code, r.Detail);
        var accepted = (SendResult.Accepted)result;
        var sent = (await queries.MessageAsync(business, accepted.MessageId, ct))!;
        var conversation = (await queries.GetAsync(business, sent.ConversationId, ct))!;
        var response = new StartConversationResponse(conversation, sent);
        return accepted.Repeated
            ? TypedResults.Ok(response)
            : TypedResults.Created($"/api/v1/conversations/{conversation.Id}", response);
    }
}
