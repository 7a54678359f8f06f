using System.Text.Json;
using Engine.Api.Http;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Silo.Channels;
using Engine.Silo.Ingestion;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Webhooks.WeChat;

/// <summary>The WeChat service account's server URL: verification (echostr) and signed callbacks, plain or AES-encrypted.</summary>
public static class WeChatWebhookApi
{
    public static void MapWeChatWebhooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/webhooks/wechat").WithTags("Webhooks").AllowAnonymous();
        group.MapGet("/{channelId:guid}", Verify).WithSummary("URL verification: echoes echostr when the signature matches.");
        group.MapPost("/{channelId:guid}", Receive).WithSummary("Signed callback (plain or encrypt_type=aes). Answers 'success' once committed.")
            .DisableAntiforgery();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Verify(
        Guid channelId, string? signature, string? timestamp, string? nonce, string? echostr, ChannelStore channels, CancellationToken ct)
    {
        var channel = await channels.FindCachedAsync(channelId, ct);
        if (channel is not { Kind: ChannelKinds.WeChat, Enabled: true }) return WhatsAppWebhookApi.UnknownChannel(channelId);
        if (echostr is null || !PlainSignatureValid(channel, signature, timestamp, nonce)) return InvalidSignature();
        return TypedResults.Text(echostr, "text/plain");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Receive(
        Guid channelId, string? signature, string? timestamp, string? nonce,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "encrypt_type")] string? encryptType,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "msg_signature")] string? msgSignature,
        HttpRequest request, ChannelStore channels, InboundRouter ingest, ReplayGuard replays, ILogger<WeChatDocument> log,
        CancellationToken ct)
    {
        var channel = await channels.FindCachedAsync(channelId, ct);
        if (channel is not { Kind: ChannelKinds.WeChat, Enabled: true }) return WhatsAppWebhookApi.UnknownChannel(channelId);
        var body = await WebhookBody.ReadAsync(request, ct);
        if (body is null) return Problems.Of(413, "payload_too_large", $"Webhook bodies are limited to {WebhookBody.MaxBytes} bytes.");
        Grains.Interfaces.Ingestion.InboundBatch batch;
        try
        {
            var document = WeChatPayload.Read(body);
            if (encryptType == "aes")
            {
                var encrypted = document.Fields.GetValueOrDefault("Encrypt");
                if (encrypted is null || timestamp is null || nonce is null
                    || !WeChatCrypto.SignatureMatches(msgSignature, channel.Secrets.Token ?? "", timestamp, nonce, encrypted))
                    return InvalidSignature();
                var plain = Decrypt(channel, encrypted);
                if (plain is null) return Problems.Of(400, "decryption_failed", "Encrypt does not decrypt under the channel's EncodingAESKey for its app id.");
                document = WeChatPayload.Read(System.Text.Encoding.UTF8.GetBytes(plain));
            }
            else if (!PlainSignatureValid(channel, signature, timestamp, nonce)) return InvalidSignature();
            // A plain body is covered by no signature: a channel that can decrypt takes encrypted bodies only.
            else if (channel.Secrets.EncodingAesKey is { Length: > 0 })
                return Problems.Of(401, "encryption_required",
                    "This channel has an EncodingAESKey: callbacks must be encrypted (encrypt_type=aes, msg_signature over Encrypt).");
            batch = WeChatPayload.Parse(channel.Id, document);
        }
        catch (JsonException e) { return Problems.Of(400, "malformed_json", e.Message); }
        catch (PayloadException e) { return Problems.Of(400, "malformed_payload", e.Message); }

        switch (await replays.CheckAsync(channel.Id, timestamp!, nonce!, body, ct))
        {
            case ReplayVerdict.Stale:
                return Problems.Of(401, "stale_timestamp",
                    $"timestamp must be Unix seconds within {replays.Tolerance.TotalMinutes:0.#} minutes of the server's time.");
            case ReplayVerdict.Replay:
                log.LogWarning("WeChat callback on channel {Channel} reused nonce {Nonce} with another body; refused.", channel.Id, nonce);
                return Problems.Of(401, "replayed_nonce", "This nonce was already used with another body within the timestamp window.");
        }
        try
        {
            await ingest.IngestAsync(channel, batch);
        }
        catch
        {
            // Not committed: the provider's retry of this very request must be taken as new.
            await replays.ForgetAsync(channel.Id, nonce!, CancellationToken.None);
            throw;
        }
        return TypedResults.Text("success", "text/plain");
    }

    /// <summary>Current key first, then the previous one, so a key rotation loses no callback.</summary>
    private static string? Decrypt(Channel channel, string encrypted)
    {
        var appId = channel.Settings.AppId ?? "";
        foreach (var key in new[] { channel.Secrets.EncodingAesKey, channel.Secrets.PreviousEncodingAesKey })
            if (key is { Length: 43 } && WeChatCrypto.Decrypt(encrypted, key, appId) is { } plain) return plain;
        return null;
    }

    private static bool PlainSignatureValid(Channel channel, string? signature, string? timestamp, string? nonce) =>
        timestamp is not null && nonce is not null && !string.IsNullOrEmpty(channel.Secrets.Token)
        && WeChatCrypto.SignatureMatches(signature, channel.Secrets.Token, timestamp, nonce);

    private static ProblemHttpResult InvalidSignature() =>
        Problems.Of(401, "invalid_signature", "The signature does not match the channel's token (SHA-1 of the ordinal-sorted token, timestamp, nonce).");
}
