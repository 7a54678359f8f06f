using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Channels;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Channels;

/// <summary>A WhatsApp channel's message templates: listed for whoever replies (the composer picks from the approved
/// ones), synced from the business account by Administrators.</summary>
public static class TemplatesApi
{
    public static void MapTemplates(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/channels/{id:guid}/templates").WithTags("Channels");
        g.MapGet("/", List).RequireAuthorization(Permissions.Reply)
            .WithSummary("The channel's message templates (filters: status, e.g. approved; language, e.g. en_US), each with "
                + "its category, status (and reason), components and the number of body parameters it takes.");
        g.MapPost("/sync", Sync).RequireAuthorization(Permissions.ManageSettings).Refuses("not_configured", "provider_error")
            .WithSummary("Read the templates from the channel's WhatsApp Business Account now (also done daily); "
                + "status changes arrive by webhook at once.");
    }

    private static async Task<Results<Ok<IReadOnlyList<TemplateView>>, ProblemHttpResult>> List(Guid id, HttpContext http,
        ChannelStore channels, TemplateCatalog catalog, CancellationToken ct, string? status = null, string? language = null) =>
        await channels.GetAsync(http.User.BusinessId(), id, ct) is { Kind: ChannelKinds.WhatsApp }
            ? TypedResults.Ok(await catalog.ListAsync(id, status, language, ct))
            : Problems.NotFound("WhatsApp channel", id);

    private static async Task<Results<Ok<TemplateSync>, ProblemHttpResult>> Sync(Guid id, HttpContext http,
        ChannelStore channels, TemplateCatalog catalog, CancellationToken ct) =>
        await channels.GetAsync(http.User.BusinessId(), id, ct) is { Kind: ChannelKinds.WhatsApp } channel
            ? TypedResults.Ok(await catalog.SyncAsync(http.User.Actor(), channel, ct))
            : Problems.NotFound("WhatsApp channel", id);
}
