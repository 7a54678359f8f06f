using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Media;

/// <summary>
/// Fetches a customer's attachment on receipt, through the outbox (not part of the webhook's commit): WhatsApp's
/// <c>GET /{version}/{media-id}</c> with the channel's token gives a short-lived URL (about 5 minutes), downloaded with
/// the same token; the bytes must match the SHA-256 the webhook gave and stay within the business's size limit; they
/// are kept in the <see cref="IMediaStore"/>. WeChat's temporary media (image, voice, video; kept there three days) come
/// from <c>/cgi-bin/media/get</c> with the channel's access token, without a hash to check. A provider that no longer
/// has the media, a mismatch found twice, or an
/// attachment over the limit makes it <c>unavailable</c> with the reason; network failures and an expired URL are
/// retried with back-off.
/// </summary>
public sealed class MediaFetcher(
    NpgsqlDataSource db, ChannelStore channels, IHttpClientFactory http, IMediaStore store, TimeProvider clock,
    IGrainFactory grains, ILogger<MediaFetcher> log) : IOutboxHandler
{
    public const string Topic = "media.fetch";
    string IOutboxHandler.Topic => Topic;

    /// <summary>Attempts after which a retried fetch is given up and the attachment marked unavailable.</summary>
    public const int GiveUpAfter = 10;

    /// <summary>The WhatsApp message types that carry a media id.</summary>
    public static readonly HashSet<string> WhatsAppTypes = ["image", "audio", "video", "document", "sticker"];

    public static OutboxIntent Fetch(Guid message) => new(Topic, $"media:{message}", new { MessageId = message });

    /// <summary>The WeChat message types that carry a temporary media id (voice also has its recognition text).</summary>
    public static readonly HashSet<string> WeChatTypes = ["image", "voice", "video", "shortvideo"];

    /// <summary>The media id a stored message's content names: WhatsApp's (with the SHA-256, type and file name it
    /// gives) or WeChat's <c>MediaId</c>.</summary>
    public static (string Id, string? Sha256, string? MimeType, string? Filename)? MediaOf(string kind, string type,
        string content) => kind == ChannelKinds.WeChat ? WeChatMedia(type, content) : WhatsAppMedia(type, content);

    private static (string Id, string? Sha256, string? MimeType, string? Filename)? WeChatMedia(string type, string content)
    {
        if (!WeChatTypes.Contains(type)) return null;
        try
        {
            using var doc = JsonDocument.Parse(content);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("MediaId", out var id) && id.ValueKind == JsonValueKind.String
                && id.GetString() is { Length: > 0 } mediaId
                ? (mediaId, null, null, null) : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>The media id a stored WhatsApp message's content names, with the SHA-256 and file name it gives.</summary>
    private static (string Id, string? Sha256, string? MimeType, string? Filename)? WhatsAppMedia(string type, string content)
    {
        if (!WhatsAppTypes.Contains(type)) return null;
        try
        {
            // JsonDocument, not JsonNode: a payload with a repeated key (hostile or not) is read, never thrown on.
            using var doc = JsonDocument.Parse(content);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(type, out var media)
                || media.ValueKind != JsonValueKind.Object)
                return null;
            string? Text(string name) => media.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString() : null;
            return Text("id") is { Length: > 0 } id ? (id, Text("sha256"), Text("mime_type"), Text("filename")) : null;
        }
        catch (JsonException) { return null; }
    }

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var messageId = item.Payload.GetProperty("messageId").GetGuid();
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = (await Sql.QueryAsync(conn, null, """
            select mm.status, m.channel_id, m.type, m.content::text, b.media_max_bytes
              from message_media mm join messages m on m.id = mm.message_id join businesses b on b.id = mm.business_id
             where mm.message_id = @m
            """, r => (Status: r.GetString(0), Channel: r.GetGuid(1), Type: r.GetString(2), Content: r.GetString(3),
                Max: r.GetInt64(4)), ct, ("m", messageId))).SingleOrDefault();
        if (row.Status != "pending") return new OutboxResult.Done();
        if (await channels.FindCachedAsync(row.Channel, ct) is not { } channel
            || MediaOf(channel.Kind, row.Type, row.Content) is not { } media)
            return await UnavailableAsync(conn, messageId, "the message names no media the channel can fetch", ct);

        var outcome = channel.Kind == ChannelKinds.WeChat
            ? await DownloadWeChatAsync(channel, media.Id, row.Max, ct)
            : await DownloadAsync(channel, media.Id, row.Max, ct);
        switch (outcome)
        {
            case Download.Got got:
                var actual = Convert.ToHexStringLower(SHA256.HashData(got.Bytes));
                var expected = media.Sha256 ?? got.Sha256;
                if (expected is not null && !SameHash(expected, got.Bytes, actual))
                    return item.Attempts >= 2
                        ? await UnavailableAsync(conn, messageId, $"sha256 mismatch: expected {expected}, got {actual}", ct)
                        : new OutboxResult.Retry("sha256 mismatch", TimeSpan.FromSeconds(1));
                var sha256 = await store.PutAsync(got.Bytes, ct);
                var stored = await Sql.ExecAsync(conn, null, """
                    update message_media set status = 'stored', sha256 = @s, content_type = @t, size = @n, filename = @f,
                           reason = null, updated_at = @now
                     where message_id = @m and status = 'pending'
                    """, ct, ("s", sha256), ("t", got.ContentType ?? media.MimeType ?? "application/octet-stream"),
                    ("n", (long)got.Bytes.Length), ("f", media.Filename), ("now", clock.GetUtcNow()), ("m", messageId));
                if (stored == 0) log.LogInformation("Media of message {Message} was erased while it was fetched.", messageId);
                return new OutboxResult.Done();
            case Download.Gone gone:
                return await UnavailableAsync(conn, messageId, gone.Reason, ct);
            case Download.Again again:
                return item.Attempts >= GiveUpAfter
                    ? await UnavailableAsync(conn, messageId, again.Reason, ct)
                    : new OutboxResult.Retry(again.Reason, again.After);
            default:
                throw new InvalidOperationException();
        }
    }

    /// <summary>Meta gives the hash as hex (or, in some payloads, base64).</summary>
    private static bool SameHash(string expected, byte[] bytes, string actualHex) =>
        string.Equals(expected, actualHex, StringComparison.OrdinalIgnoreCase)
        || expected == Convert.ToBase64String(SHA256.HashData(bytes));

    private async Task<OutboxResult> UnavailableAsync(NpgsqlConnection conn, Guid message, string reason, CancellationToken ct)
    {
        await Sql.ExecAsync(conn, null, """
            update message_media set status = 'unavailable', reason = @r, updated_at = @now
             where message_id = @m and status = 'pending'
            """, ct, ("r", reason), ("now", clock.GetUtcNow()), ("m", message));
        return new OutboxResult.Done();
    }

    private abstract record Download
    {
        public sealed record Got(byte[] Bytes, string? ContentType, string? Sha256) : Download;
        /// <summary>Never coming: the provider has no such media, or it is over the limit.</summary>
        public sealed record Gone(string Reason) : Download;
        public sealed record Again(string Reason, TimeSpan? After = null) : Download;
    }

    /// <summary>WeChat's temporary media: <c>GET /cgi-bin/media/get?access_token=…&amp;media_id=…</c> answers the bytes,
    /// or an errcode as JSON (a token WeChat no longer accepts is refreshed once through the channel's grain).</summary>
    private async Task<Download> DownloadWeChatAsync(Channel channel, string mediaId, long max, CancellationToken ct)
    {
        var source = grains.GetGrain<Engine.Grains.Interfaces.Channels.IChannelGrain>(
            Engine.Grains.Interfaces.GrainKeys.Channel(channel.Id));
        var token = await source.WeChatAccessToken(null);
        for (var attempt = 0; ; attempt++)
        {
            if (token.Token is null) return new Download.Again($"access token: {token.Error}");
            var url = $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/media/get"
                + $"?access_token={Uri.EscapeDataString(token.Token)}&media_id={Uri.EscapeDataString(mediaId)}";
            var got = await GetAsync(new HttpRequestMessage(HttpMethod.Get, url), max, null, ct);
            if (got is not Download.Got { ContentType: "application/json" or "text/plain" } answer) return got;
            JsonNode? error;
            try { error = JsonNode.Parse(answer.Bytes); } catch (JsonException) { return got; }
            var code = error?["errcode"]?.GetValue<int>() ?? 0;
            var message = $"errcode {code}: {error?["errmsg"]?.GetValue<string>()}";
            if (code is 40001 or 40014 or 42001 && attempt == 0)
            {
                token = await source.WeChatAccessToken(token.Token);
                continue;
            }
            return code is -1 or 45009 or 40001 or 40014 or 42001 ? new Download.Again(message) : new Download.Gone(message);
        }
    }

    private async Task<Download> DownloadAsync(Channel channel, string mediaId, long max, CancellationToken ct)
    {
        var client = http.CreateClient("providers");
        var url = $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/{channel.Settings.ApiVersion}/{Uri.EscapeDataString(mediaId)}";
        JsonNode? info;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Secrets.AccessToken);
            using var response = await client.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            try { info = JsonNode.Parse(text); } catch (JsonException) { info = null; }
            if (!response.IsSuccessStatusCode)
            {
                var reason = info?["error"]?["error_data"]?["details"]?.GetValue<string>()
                    ?? info?["error"]?["message"]?.GetValue<string>() ?? $"HTTP {(int)response.StatusCode}";
                return (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests
                    ? new Download.Again($"media info: {reason}")
                    : new Download.Gone($"the provider has no such media: {reason}");
            }
        }
        catch (HttpRequestException e) { return new Download.Again($"network error: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return new Download.Again("timeout"); }

        if (info?["file_size"]?.GetValue<long>() is { } size && size > max)
            return new Download.Gone($"too large: {size} bytes, the limit is {max}");
        if (info?["url"]?.GetValue<string>() is not { Length: > 0 } download)
            return new Download.Again("media info without a url");
        var get = new HttpRequestMessage(HttpMethod.Get, download);
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Secrets.AccessToken);
        return await GetAsync(get, max, info?["sha256"]?.GetValue<string>(), ct);
    }

    /// <summary>Reads a download within the limit; a failed answer (an expired URL among them) is tried again.</summary>
    private async Task<Download> GetAsync(HttpRequestMessage request, long max, string? sha256, CancellationToken ct)
    {
        try
        {
            using (request)
            using (var response = await http.CreateClient("providers")
                       .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct))
            {
                if (!response.IsSuccessStatusCode)
                    return new Download.Again($"download: HTTP {(int)response.StatusCode}", TimeSpan.FromSeconds(1));
                if (response.Content.Headers.ContentLength > max)
                    return new Download.Gone($"too large: {response.Content.Headers.ContentLength} bytes, the limit is {max}");
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                using var copy = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    if (copy.Length + read > max) return new Download.Gone($"too large: over the limit of {max} bytes");
                    copy.Write(buffer, 0, read);
                }
                return new Download.Got(copy.ToArray(), response.Content.Headers.ContentType?.MediaType, sha256);
            }
        }
        catch (HttpRequestException e) { return new Download.Again($"network error: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return new Download.Again("timeout"); }
    }
}
