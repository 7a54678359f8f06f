using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Engine.Api.Http;
using Engine.Silo.Channels;
using Engine.Silo.Ingestion;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Engine.Api.Webhooks.WhatsApp;

/// <summary>Meta's WhatsApp Cloud API webhook: the verification handshake and signed deliveries.</summary>
public static class WhatsAppWebhookApi
{
    public static void MapWhatsAppWebhooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/webhooks/whatsapp").WithTags("Webhooks").AllowAnonymous();
        group.MapGet("/{channelId:guid}", Verify).WithSummary("Verification handshake: echoes hub.challenge when hub.verify_token matches.");
        group.MapPost("/{channelId:guid}", Receive).WithSummary("Signed delivery (X-Hub-Signature-256). 200 only after every update in it is committed.")
            .DisableAntiforgery();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Verify(
        Guid channelId,
        [FromQuery(Name = "hub.mode")] string? mode,
        [FromQuery(Name = "hub.verify_token")] string? token,
        [FromQuery(Name = "hub.challenge")] string? challenge,
        ChannelStore channels, CancellationToken ct)
    {
        var channel = await channels.FindCachedAsync(channelId, ct);
        if (channel is not { Kind: ChannelKinds.WhatsApp, Enabled: true }) return UnknownChannel(channelId);
        var expected = channel.Secrets.VerifyToken ?? "";
        var ok = mode == "subscribe" && challenge is not null && token is not null && expected.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected));
        return ok
            ? TypedResults.Text(challenge!, "text/plain")
            : Problems.Of(403, "verification_failed", "hub.mode must be 'subscribe' and hub.verify_token must match the channel's verify token.");
    }

    private static async Task<Results<Ok, ProblemHttpResult>> Receive(
        Guid channelId, HttpRequest request, ChannelStore channels, InboundRouter ingest, TemplateCatalog catalog,
        ILogger<WhatsAppDelivery> log, CancellationToken ct)
    {
        var channel = await channels.FindCachedAsync(channelId, ct);
        if (channel is not { Kind: ChannelKinds.WhatsApp, Enabled: true }) return UnknownChannel(channelId);
        var body = await WebhookBody.ReadAsync(request, ct);
        if (body is null) return Problems.Of(413, "payload_too_large", $"Webhook bodies are limited to {WebhookBody.MaxBytes} bytes.");
        if (!WhatsAppSignature.IsValid(request.Headers[WhatsAppSignature.Header], body, channel.Secrets.AppSecret ?? ""))
            return Problems.Of(401, "invalid_signature", $"{WhatsAppSignature.Header} is missing or is not the HMAC-SHA256 of the body under the channel's app secret.");
        WhatsAppDelivery delivery;
        try { delivery = WhatsAppPayload.Parse(channel.Id, channel.Settings.PhoneNumberId, body); }
        catch (JsonException e) { return Problems.Of(400, "malformed_json", $"The body is not valid JSON: {e.Message}"); }
        catch (PayloadException e) { return Problems.Of(400, "malformed_payload", e.Message); }
        // Acknowledged, not stored: Meta would redeliver a refusal for 7 days, and the number is not this channel's.
        if (delivery.ForeignChanges > 0)
            log.LogWarning("WhatsApp delivery on channel {Channel} had {Count} change(s) for another phone_number_id than {Number}; not stored.",
                channel.Id, delivery.ForeignChanges, channel.Settings.PhoneNumberId);
        // Acknowledge only once committed: Meta redelivers anything not acknowledged, and duplicates are stored once.
        await ingest.IngestAsync(channel, delivery.Batch);
        // A template's new status applies at once (the composer offers approved templates only).
        foreach (var t in delivery.Templates ?? [])
            if (t.AccountId is not null && t.AccountId == channel.Settings.BusinessAccountId)
                await catalog.ApplyStatusAsync(channel.Id, t.TemplateId, t.Name, t.Language, t.Event, t.Reason, ct);
        return TypedResults.Ok();
    }

    internal static ProblemHttpResult UnknownChannel(Guid id) =>
        Problems.Of(404, "channel_not_found", $"No enabled channel {id} of this kind.");
}
