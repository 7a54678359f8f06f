using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Grains.Interfaces.Messaging;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>
/// WeChat's customer-service send (<c>/cgi-bin/message/custom/send</c>) and the channel's access
/// token. The token is central: one row per channel, refreshed before expiry by whichever node needs
/// it first while holding a lock, so two nodes never fetch at once (a fetch invalidates the previous token).
/// </summary>
public sealed class WeChatClient(IHttpClientFactory http, NpgsqlDataSource db, TimeProvider clock, NodeIdentity node)
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private static readonly HashSet<int> TokenErrors = [40001, 40014, 42001];
    private static readonly HashSet<int> Retryable = [-1, 45009];

    public async Task<ProviderResult> SendAsync(Channel channel, Recipient to, OutboundMessage message, CancellationToken ct)
    {
        string token;
        try { token = await TokenAsync(channel, null, ct); }
        catch (WeChatTokenException e) { return e.Transient ? new ProviderResult.Transient(e.Code, e.Message) : new ProviderResult.Permanent(e.Code, e.Message); }
        var result = await PostAsync(channel, token, to, message, ct);
        if (result is ProviderResult.Transient { Code: { } code } && TokenErrors.Contains(code))
        {
            // The token was invalidated (another fetch, or an expiry we did not know of): refresh once and retry.
            try { token = await TokenAsync(channel, token, ct); }
            catch (WeChatTokenException e) { return new ProviderResult.Transient(e.Code, e.Message); }
            result = await PostAsync(channel, token, to, message, ct);
        }
        return result;
    }

    private async Task<ProviderResult> PostAsync(Channel channel, string token, Recipient to, OutboundMessage m, CancellationToken ct)
    {
        var url = $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/message/custom/send?access_token={Uri.EscapeDataString(token)}";
        JsonNode? json;
        try
        {
            using var response = await http.CreateClient("providers").PostAsync(url,
                new StringContent(Body(to.ExternalId, m).ToJsonString(), Encoding.UTF8, "application/json"), ct);
            if ((int)response.StatusCode >= 500) return new ProviderResult.Transient(null, $"HTTP {(int)response.StatusCode}");
            json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
        }
        catch (HttpRequestException e) { return new ProviderResult.Transient(null, $"network error: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return new ProviderResult.Transient(null, "timeout"); }
        catch (JsonException) { return new ProviderResult.Transient(null, "unreadable response"); }
        var code = json?["errcode"]?.GetValue<int>() ?? 0;
        var reason = json?["errmsg"]?.GetValue<string>() ?? "";
        if (code == 0) return new ProviderResult.Sent(null);
        return TokenErrors.Contains(code) || Retryable.Contains(code)
            ? new ProviderResult.Transient(code, reason)
            : new ProviderResult.Permanent(code, Readable(code, reason));
    }

    private static string Readable(int code, string errmsg) => code switch
    {
        45015 => $"The 48-hour window has passed or the user unfollowed ({errmsg}).",
        45047 => $"The per-message reply quota is used up; wait for the customer's next message ({errmsg}).",
        40003 => $"The OpenID does not belong to this account ({errmsg}).",
        43004 => $"The user does not follow the account ({errmsg}).",
        48001 => $"The account lacks customer-service permission ({errmsg}).",
        _ => errmsg,
    };

    public static JsonObject Body(string openId, OutboundMessage m)
    {
        var body = new JsonObject { ["touser"] = openId };
        switch (m.Type)
        {
            case "text":
                body["msgtype"] = "text";
                body["text"] = new JsonObject { ["content"] = m.Text };
                break;
            case "image":
                body["msgtype"] = "image";
                body["image"] = new JsonObject { ["media_id"] = m.Media!.Id };
                break;
            case "audio":
                body["msgtype"] = "voice";
                body["voice"] = new JsonObject { ["media_id"] = m.Media!.Id };
                break;
            case "video":
                body["msgtype"] = "video";
                body["video"] = new JsonObject { ["media_id"] = m.Media!.Id, ["title"] = m.Media.Caption ?? "" };
                break;
            case "buttons":
                // WeChat's menu message: tapping an item sends its content back as the customer's reply.
                body["msgtype"] = "msgmenu";
                body["msgmenu"] = new JsonObject
                {
                    ["head_content"] = m.Text,
                    ["list"] = new JsonArray(m.Buttons!.Select(b => (JsonNode)new JsonObject { ["id"] = b.Id, ["content"] = b.Title }).ToArray()),
                    ["tail_content"] = m.Footer ?? "",
                };
                break;
        }
        return body;
    }

    /// <summary>A valid token; <paramref name="stale"/> is one the API just refused, which must not be returned again.</summary>
    public async Task<string> TokenAsync(Channel channel, string? stale, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        var current = await Read(conn, null, channel.Id, ct);
        if (current is { } c && c.ExpiresAt - RefreshMargin > now && c.Token != stale) return c.Token;

        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, "select pg_advisory_xact_lock(hashtextextended(@k, 0))", ct, ("k", $"wechat-token:{channel.Id}"));
        current = await Read(conn, tx, channel.Id, ct); // another node may have refreshed while we waited
        if (current is { } fresh && fresh.ExpiresAt - RefreshMargin > now && fresh.Token != stale) return fresh.Token;

        var url = $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/token?grant_type=client_credential" +
                  $"&appid={Uri.EscapeDataString(channel.Settings.AppId ?? "")}&secret={Uri.EscapeDataString(channel.Secrets.AppSecret ?? "")}";
        JsonNode? json;
        try { json = JsonNode.Parse(await http.CreateClient("providers").GetStringAsync(url, ct)); }
        catch (HttpRequestException e) { throw new WeChatTokenException(null, $"token endpoint unreachable: {e.Message}", true); }
        catch (JsonException) { throw new WeChatTokenException(null, "token endpoint returned no JSON", true); }
        var token = json?["access_token"]?.GetValue<string>();
        if (token is null)
        {
            var code = json?["errcode"]?.GetValue<int>();
            throw new WeChatTokenException(code, $"token refused: {json?["errmsg"]?.GetValue<string>()}", code is -1 or 45009);
        }
        var expiresIn = json?["expires_in"]?.GetValue<int>() ?? 7200;
        await Sql.ExecAsync(conn, tx, """
            insert into access_tokens (channel_id, token, expires_at, fetched_at, fetched_by) values (@c, @t, @e, @now, @node)
            on conflict (channel_id) do update set token = @t, expires_at = @e, fetched_at = @now, fetched_by = @node
            """, ct, ("c", channel.Id), ("t", token), ("e", now.AddSeconds(expiresIn)), ("now", now), ("node", node.Id));
        await tx.CommitAsync(ct);
        return token;
    }

    private static async Task<(string Token, DateTimeOffset ExpiresAt)?> Read(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid channel, CancellationToken ct)
    {
        var rows = await Sql.QueryAsync(conn, tx, "select token, expires_at from access_tokens where channel_id = @c",
            r => (r.GetString(0), r.Time(1)), ct, ("c", channel));
        return rows.Count == 0 ? null : rows[0];
    }
}

public sealed class WeChatTokenException(int? code, string message, bool transient) : Exception(message)
{
    public int? Code { get; } = code;
    public bool Transient { get; } = transient;
}
