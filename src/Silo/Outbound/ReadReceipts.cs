using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>
/// Read receipts (a WhatsApp channel's <c>readReceipts</c>): when an agent opens a conversation, the customer's last
/// message is marked read at WhatsApp (<c>POST /{phone-number-id}/messages</c> with <c>status: read</c>, which marks the
/// earlier ones too) — one call per opening that has something new, through the outbox.
/// </summary>
public sealed class ReadReceipts(NpgsqlDataSource db, ChannelStore channels, IHttpClientFactory http) : IOutboxHandler
{
    public const string Topic = "message.read";
    string IOutboxHandler.Topic => Topic;

    public static OutboxIntent Mark(Guid message) => new(Topic, $"read:{message}", new { MessageId = message });

    /// <summary>The conversation's last customer message, when its channel sends read receipts.</summary>
    public static async Task<Guid?> LastInboundAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid conversation,
        CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, """
            select m.id from messages m join channels c on c.id = m.channel_id
             where m.conversation_id = @c and m.direction = 'in' and m.provider_message_id is not null
               and c.kind = 'whatsapp' and (c.settings->>'readReceipts')::boolean is true
             order by m.created_at desc, m.id desc limit 1
            """, r => (Guid?)r.GetGuid(0), ct, ("c", conversation))).SingleOrDefault();

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("messageId").GetGuid();
        await using var conn = await db.OpenConnectionAsync(ct);
        var message = (await Sql.QueryAsync(conn, null,
            "select channel_id, provider_message_id from messages where id = @m",
            r => (Channel: r.GetGuid(0), Wamid: r.NullableString(1)), ct, ("m", id))).SingleOrDefault();
        if (message.Wamid is null || await channels.FindCachedAsync(message.Channel, ct) is not { Enabled: true } channel)
            return new OutboxResult.Done();
        var settings = channel.Settings;
        var url = $"{settings.ApiBaseUrl.TrimEnd('/')}/{settings.ApiVersion}/{settings.PhoneNumberId}/messages";
        var body = new JsonObject { ["messaging_product"] = "whatsapp", ["status"] = "read", ["message_id"] = message.Wamid };
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Secrets.AccessToken);
        try
        {
            using var response = await http.CreateClient("providers").SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return new OutboxResult.Done();
            var status = (int)response.StatusCode;
            // A receipt is a courtesy: a refused one (an old or unknown message) is not worth retrying.
            return status >= 500 || status == 429
                ? new OutboxResult.Retry($"read receipt: HTTP {status}")
                : new OutboxResult.Failed($"read receipt refused: HTTP {status} {await response.Content.ReadAsStringAsync(ct)}");
        }
        catch (HttpRequestException e) { return new OutboxResult.Retry($"network error: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return new OutboxResult.Retry("timeout"); }
    }
}
