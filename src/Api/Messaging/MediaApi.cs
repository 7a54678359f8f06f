using Engine.Api.Access;
using Engine.Api.Conversations;
using Engine.Api.Http;
using Engine.Silo.Media;
using Engine.Silo.Queries;
using Microsoft.Net.Http.Headers;

namespace Engine.Api.Messaging;

/// <summary>
/// <c>GET /api/v1/messages/{id}/media</c>: a customer's attachment, streamed to whoever may read its conversation
/// (agents: theirs and their teams' queues), with its content type; images, stickers, audio and video inline, documents
/// as attachments under their file name. Never at a guessable public path: the store is reached only through here.
/// </summary>
public static class MediaApi
{
    public static void MapMedia(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/messages/{id:guid}/media", Get).WithTags("Conversations")
            .RequireAuthorization(Permissions.ReadConversations)
            .Refuses("media_pending", "media_unavailable", "media_erased")
            .WithSummary("The message's attachment (its bytes, with its content type). 409 media_pending while it is "
                + "fetched, media_unavailable (the reason in detail) when it could not be, media_erased after erasure "
                + "or retention.");

    private static async Task<IResult> Get(Guid id, HttpContext http, ConversationQueries queries, IMediaStore store,
        CancellationToken ct)
    {
        var business = http.User.BusinessId();
        if (await queries.MessageAsync(business, id, ct) is not { } message
            || await queries.GetAsync(business, message.ConversationId, ct, ConversationCommandsApi.Scope(http)) is null)
            return Problems.NotFound("message", id);
        switch (message.Media)
        {
            case null:
                return Problems.Of(404, "not_found", $"Message {id} has no attachment.");
            case { Status: "pending" }:
                return Problems.Of(409, "media_pending", "The attachment is being fetched from the provider; ask again shortly.");
            case { Status: "unavailable" } m:
                return Problems.Of(409, "media_unavailable", $"The attachment could not be fetched: {m.Reason}");
            case { Status: "erased" }:
                return Problems.Of(409, "media_erased", "The attachment was removed (erasure or the business's retention).");
        }
        var sha256 = await queries.MediaObjectAsync(id, ct);
        if (sha256 is null || store.Open(sha256) is not { } content)
            return Problems.Of(409, "media_unavailable", "The attachment is no longer in the media store.");
        var media = message.Media;
        var inline = media.ContentType?.Split('/')[0] is "image" or "audio" or "video";
        var disposition = new ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(media.Filename ?? $"{message.Type}-{id}{MediaSniffer.ExtensionOf(media.ContentType)}");
        http.Response.Headers.ContentDisposition = disposition.ToString();
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        // A customer's file never runs in the app's origin (an SVG's script, an HTML "document").
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
        http.Response.Headers.CacheControl = "private, max-age=86400";   // content-addressed: it never changes
        return Results.Stream(content, media.ContentType ?? "application/octet-stream", enableRangeProcessing: true);
    }
}
