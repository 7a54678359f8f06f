using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Grains.Channels;
using Engine.Grains.Interfaces.Channels;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>
/// WeChat's token endpoint (<c>/cgi-bin/token?grant_type=client_credential</c>) for the channel grain, and the row
/// per channel that keeps the last token across restarts.
/// </summary>
public sealed class WeChatTokenSource(
    IHttpClientFactory http, NpgsqlDataSource db, ChannelStore channels, TimeProvider clock, NodeIdentity node, Access.SecretBox box)
    : IAccessTokenSource
{
    public async Task<AccessTokenResult?> StoredAsync(Guid channelId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, "select token, expires_at from access_tokens where channel_id = @c",
            r => new AccessTokenResult(box.Unprotect(r.GetString(0)), r.Time(1)), ct, ("c", channelId));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<AccessTokenResult> FetchAsync(Guid channelId, CancellationToken ct)
    {
        var channel = await channels.FindCachedAsync(channelId, ct);
        if (channel is null) return new AccessTokenResult(null, default, null, "the channel no longer exists");
        var now = clock.GetUtcNow();
        var url = $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/token?grant_type=client_credential" +
                  $"&appid={Uri.EscapeDataString(channel.Settings.AppId ?? "")}" +
                  $"&secret={Uri.EscapeDataString(channel.Secrets.AppSecret ?? "")}";
        JsonNode? json;
        try { json = JsonNode.Parse(await http.CreateClient("providers").GetStringAsync(url, ct)); }
        catch (HttpRequestException e) { return Unavailable($"token endpoint unreachable: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Unavailable("token endpoint timed out");
        }
        catch (JsonException) { return Unavailable("token endpoint returned no JSON"); }
        var token = json?["access_token"]?.GetValue<string>();
        if (token is null)
        {
            var code = json?["errcode"]?.GetValue<int>();
            var why = $"token refused: {json?["errmsg"]?.GetValue<string>()}";
            return new AccessTokenResult(null, default, code, why, Transient: code is -1 or 45009);
        }
        var expiresAt = now.AddSeconds(json?["expires_in"]?.GetValue<int>() ?? 7200);
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, """
            insert into access_tokens (channel_id, token, expires_at, fetched_at, fetched_by)
            values (@c, @t, @e, @now, @node)
            on conflict (channel_id) do update set token = @t, expires_at = @e, fetched_at = @now, fetched_by = @node
            """, ct, ("c", channelId), ("t", box.Protect(token)), ("e", expiresAt), ("now", now), ("node", node.Id));
        return new AccessTokenResult(token, expiresAt);
    }

    private static AccessTokenResult Unavailable(string why) => new(null, default, null, why, Transient: true);
}
