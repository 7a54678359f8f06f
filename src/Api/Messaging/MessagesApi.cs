using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Messaging;
using Engine.Silo.Channels;
using Engine.Silo.Outbound;
using Engine.Silo.Queries;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Engine.Api.Messaging;

/// <summary>
/// A message to send. <c>type</c>: text | image | video | audio | document | buttons | list | template.
/// The same <c>idempotencyKey</c> (or <c>Idempotency-Key</c> header) never sends twice.
/// </summary>
public sealed record SendMessageRequest(
    string? Type, string? Text, bool PreviewUrl, OutboundMedia? Media, string? Header, string? Footer,
    IReadOnlyList<ReplyButton>? Buttons, OutboundList? List, OutboundTemplate? Template, string? ReplyToProviderId,
    string? IdempotencyKey, Guid? QuickReplyId = null, string? Scenario = null, Dictionary<string, string?>? Variables = null);

/// <summary>The accepted message (status 'queued' until the provider takes it), with warnings and the window it was sent in.</summary>
public sealed record SendMessageResponse(MessageView Message, IReadOnlyList<string> Warnings, bool WindowOpen, DateTimeOffset? WindowClosesAt);

public static class MessagesApi
{
    public static void MapMessages(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/conversations/{id:guid}/messages", Send)
            .WithTags("Conversations").RequireAuthorization(Permissions.Reply)
            .Refuses("window_closed", "window_quota_exhausted", "channel_disabled", "not_assigned", "idempotency_key_reused",
                "unknown_template", "template_not_approved", "template_parameters")
            .WithSummary("Send a message. Validated against the channel's limits and the response window before it is accepted; " +
                         "refusals: window_closed, window_quota_exhausted, channel_disabled (409); idempotency_key_reused (422: the key was used for another request). "
                         + "202 when accepted, 200 when the idempotency key was already used for this very request.");
    }

    private static async Task<Results<Accepted<SendMessageResponse>, Ok<SendMessageResponse>, ValidationProblem, ProblemHttpResult>> Send(
        Guid id, SendMessageRequest req, HttpContext http, Engine.Silo.Conversations.ConversationDesk desk, ConversationQueries queries, ChannelStore channels,
        Engine.Silo.Automation.QuickReplies quickReplies, Engine.Silo.Media.Attachments attachments, [FromHeader(Name = "Idempotency-Key")] string? idempotencyHeader, CancellationToken ct)
    {
        // What this key stands for: the same key with another request (or conversation) is refused, not answered with
        // the first.
        var fingerprint = System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { id, request = req with { IdempotencyKey = null } }));
        // A quick reply is sent as text: its version for the scenario and the contact's language, variables filled.
        if (req.QuickReplyId is { } template)
        {
            var rendered = await quickReplies.RenderAsync(http.User.BusinessId(), template, id, req.Scenario ?? "standard", req.Variables ?? [], http.User.UserId(), ct);
            if (rendered is null) return Problems.Invalid("quickReplyId", "No such quick reply (or no version for that scenario).");
            req = req with { Type = "text", Text = rendered };
        }
        var business = http.User.BusinessId();
        var conversation = await queries.GetAsync(business, id, ct);
        if (conversation is null) return Problems.NotFound("conversation", id);
        var channel = await channels.FindCachedAsync(conversation.ChannelId, ct);
        var key = req.IdempotencyKey ?? idempotencyHeader;
        if (key is { Length: > 200 }) return Problems.Invalid("idempotencyKey", "At most 200 characters.");

        // An uploaded attachment is described as measured on upload (its type, size and dimensions), not as declared.
        if (req.Media?.AttachmentId is { } attachmentId)
        {
            if (await attachments.FindAsync(business, id, attachmentId, channel?.Kind ?? ChannelKinds.WhatsApp, ct)
                is not { } attachment)
                return Problems.Invalid("media.attachmentId", "No such attachment uploaded to this conversation.");
            req = req with { Media = req.Media with { ContentType = attachment.ContentType, SizeBytes = attachment.Size,
                Width = attachment.Width, Height = attachment.Height, Filename = req.Media.Filename ?? attachment.Filename } };
        }
        var message = new OutboundMessage(req.Type ?? "", req.Text, req.PreviewUrl, req.Media, req.Header, req.Footer,
            req.Buttons, req.List, req.Template, req.ReplyToProviderId);
        var check = OutboundRules.Validate(message, channel?.Kind ?? ChannelKinds.WhatsApp);
        if (!check.IsValid) return Problems.Invalid(check.Errors.ToDictionary(e => e.Key, e => e.Value));

        var result = await desk.SendAsync(http.User.Actor(), id, message, check.Warnings, key, fingerprint);
        switch (result)
        {
            case SendResult.NotFound: return Problems.NotFound("conversation", id);
            case SendResult.Refused r:
                return Problems.Of(RefusedHandler.StatusOf(r.Code), r.Code, r.Detail);
        }
        var accepted = (SendResult.Accepted)result;
        if (req.QuickReplyId is { } used && !accepted.Repeated)
            await quickReplies.RecordUseAsync(business, used, accepted.MessageId, http.User.UserId()?.ToString() ?? http.User.Actor().Id, ct);
        var view = (await queries.MessageAsync(business, accepted.MessageId, ct))!;
        var after = (await queries.GetAsync(business, id, ct))!;
        var response = new SendMessageResponse(view, view.Warnings, after.WindowOpen, after.WindowClosesAt);
        return accepted.Repeated ? TypedResults.Ok(response) : TypedResults.Accepted($"/api/v1/conversations/{id}/messages", response);
    }
}
