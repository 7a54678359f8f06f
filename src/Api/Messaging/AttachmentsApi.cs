using Engine.Api.Access;
using Engine.Api.Conversations;
using Engine.Api.Http;
using Engine.Silo.Media;
using Engine.Silo.Queries;
using Microsoft.AspNetCore.Http.Features;

namespace Engine.Api.Messaging;

/// <summary>
/// <c>POST /api/v1/conversations/{id}/attachments</c>: a file to send in the conversation (multipart/form-data, field
/// <c>file</c>). Identified from its bytes and checked against the conversation's channel before it is kept; send it with
/// <c>{"type": &lt;its type&gt;, "media": {"attachmentId": …, "caption": …}}</c>.
/// </summary>
public static class AttachmentsApi
{
    /// <summary>The largest request read: WhatsApp's largest file (a 100 MB document) and the form around it.</summary>
    public const long MaxRequestBytes = 101L * 1024 * 1024;

    public static void MapAttachments(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/conversations/{id:guid}/attachments/{attachmentId:guid}", Get).WithTags("Conversations")
            .RequireAuthorization(Permissions.ReadConversations)
            .WithSummary("An uploaded attachment's description: the message type it is sent as, its measured type, size "
                + "and (images) dimensions, with the warnings.");
        app.MapPost("/api/v1/conversations/{id:guid}/attachments", Upload).WithTags("Conversations")
            .RequireAuthorization(Permissions.Reply)
            .Produces<AttachmentView>(StatusCodes.Status201Created)
            .Refuses("unsupported_media_type", "attachment_too_large")
            .WithSummary("Upload a file to send in the conversation (multipart field 'file'). Its type is read from its "
                + "bytes; 415 unsupported_media_type when the channel cannot send it, 413 attachment_too_large over the "
                + "channel's limit for its type (WhatsApp: images 5 MB, video and audio 16 MB, documents 100 MB; WeChat: "
                + "images and video 10 MB, voice 2 MB) or the business's mediaMaxBytes. The answer says which message "
                + "type to send it as, and warns when an image is not the recommended 800×600.");
    }

    private static async Task<IResult> Get(Guid id, Guid attachmentId, HttpContext http, ConversationQueries queries,
        Attachments attachments, Engine.Silo.Channels.ChannelStore channels, CancellationToken ct)
    {
        var business = http.User.BusinessId();
        if (await queries.GetAsync(business, id, ct, ConversationCommandsApi.Scope(http)) is not { } conversation)
            return Problems.NotFound("conversation", id);
        var kind = (await channels.FindCachedAsync(conversation.ChannelId, ct))?.Kind ?? "whatsapp";
        return await attachments.FindAsync(business, id, attachmentId, kind, ct) is { } found
            ? TypedResults.Ok(found) : Problems.NotFound("attachment", attachmentId);
    }

    private static async Task<IResult> Upload(Guid id, HttpContext http, ConversationQueries queries,
        Attachments attachments, CancellationToken ct)
    {
        var business = http.User.BusinessId();
        if (await queries.GetAsync(business, id, ct, ConversationCommandsApi.Scope(http)) is null)
            return Problems.NotFound("conversation", id);
        if (!http.Request.HasFormContentType)
            return Problems.Of(415, "unsupported_media_type",
                "Send the file as multipart/form-data, in a field named 'file'.");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxRequestBytes;
        IFormFile? file;
        try { file = (await http.Request.ReadFormAsync(ct)).Files.GetFile("file"); }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.Of(413, "attachment_too_large", $"Files are at most {MaxRequestBytes / 1024 / 1024 - 1} MB.");
        }
        catch (InvalidDataException e) { return Problems.Invalid("file", $"The form could not be read: {e.Message}"); }
        if (file is null) return Problems.Invalid("file", "Required: the file, in a multipart field named 'file'.");
        if (file.Length == 0) return Problems.Invalid("file", "The file is empty.");
        byte[] content;
        using (var buffer = new MemoryStream((int)file.Length))
        {
            await file.CopyToAsync(buffer, ct);
            content = buffer.ToArray();
        }
        var added = await attachments.AddAsync(business, id, content, file.ContentType, file.FileName,
            http.User.UserId()?.ToString() ?? http.User.Actor().Id, ct);
        return TypedResults.Created($"/api/v1/conversations/{id}/attachments/{added.Id}", added);
    }
}
