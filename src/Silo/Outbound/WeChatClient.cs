using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Channels;
using Engine.Grains.Interfaces.Messaging;
using Engine.Silo.Channels;

namespace Engine.Silo.Outbound;

/// <summary>
/// WeChat's customer-service send (<c>/cgi-bin/message/custom/send</c>). The access token comes from the channel's
/// grain, the one place it is fetched, so two dispatchers never fetch at once (a fetch invalidates the previous one).
/// </summary>
public sealed class WeChatClient(IHttpClientFactory http, IGrainFactory grains)
{
    private static readonly HashSet<int> TokenErrors = [40001, 40014, 42001];
    private static readonly HashSet<int> Retryable = [-1, 45009];

    public Task<ProviderResult> SendAsync(Channel channel, Recipient to, OutboundMessage message, CancellationToken ct) =>
        WithTokenAsync(channel, token => PostAsync(channel, token, to, message, ct));

    /// <summary>
    /// The language a follower set in WeChat (<c>/cgi-bin/user/info</c>: "zh_CN", "en", "th"…), as a language code
    /// ("zh", "en", "th"); <see cref="ProviderResult.Sent"/> carries it, null when WeChat gives none (not a follower).
    /// </summary>
    public Task<ProviderResult> UserLanguageAsync(Channel channel, string openId, CancellationToken ct) =>
        WithTokenAsync(channel, token => CallAsync(HttpMethod.Get,
            $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/user/info?access_token={Uri.EscapeDataString(token)}" +
            $"&openid={Uri.EscapeDataString(openId)}&lang=en", () => null,
            json => json?["language"]?.GetValue<string>() is { Length: > 0 } l ? l.Split('_')[0].ToLowerInvariant() : null, ct));

    /// <summary>A call with the channel's access token from its grain; a token WeChat no longer accepts (another fetch,
    /// an expiry we did not know of) is refreshed once and the call retried.</summary>
    private async Task<ProviderResult> WithTokenAsync(Channel channel, Func<string, Task<ProviderResult>> call)
    {
        var source = grains.GetGrain<IChannelGrain>(GrainKeys.Channel(channel.Id));
        var token = await source.WeChatAccessToken(null);
        if (token.Token is null)
            return token.Transient
                ? new ProviderResult.Transient(token.ErrorCode, token.Error!)
                : new ProviderResult.Permanent(token.ErrorCode, token.Error!);
        var result = await call(token.Token);
        if (result is ProviderResult.Transient { Code: { } code } && TokenErrors.Contains(code))
        {
            var fresh = await source.WeChatAccessToken(token.Token);
            if (fresh.Token is null) return new ProviderResult.Transient(fresh.ErrorCode, fresh.Error!);
            result = await call(fresh.Token);
        }
        return result;
    }

    private Task<ProviderResult> PostAsync(Channel channel, string token, Recipient to, OutboundMessage m, CancellationToken ct) =>
        CallAsync(HttpMethod.Post,
            $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/message/custom/send?access_token={Uri.EscapeDataString(token)}",
            () => new StringContent(Body(to.ExternalId, m).ToJsonString(), Encoding.UTF8, "application/json"), _ => null, ct);

    /// <summary>Uploads a file as temporary media (<c>/cgi-bin/media/upload?type=</c> image, voice or video; kept three
    /// days); <see cref="ProviderResult.Sent"/> carries its media_id.</summary>
    public Task<ProviderResult> UploadAsync(Channel channel, byte[] content, string contentType, string filename,
        string mediaType, CancellationToken ct) =>
        WithTokenAsync(channel, token => CallAsync(HttpMethod.Post,
            $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/cgi-bin/media/upload?access_token={Uri.EscapeDataString(token)}" +
            $"&type={mediaType}",
            () =>
            {
                var file = new ByteArrayContent(content);
                file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
                return new MultipartFormDataContent { { file, "media", filename } };
            },
            json => json?["media_id"]?.GetValue<string>(), ct));

    /// <summary>One call to WeChat's API: errcode 0 is <see cref="ProviderResult.Sent"/> (with what
    /// <paramref name="read"/> takes from the answer); token errors and busy answers are transient.</summary>
    private async Task<ProviderResult> CallAsync(HttpMethod method, string url, Func<HttpContent?> body,
        Func<JsonNode?, string?> read, CancellationToken ct)
    {
        JsonNode? json;
        try
        {
            using var request = new HttpRequestMessage(method, url);
            request.Content = body();
            using var response = await http.CreateClient("providers").SendAsync(request, ct);
            if ((int)response.StatusCode >= 500) return new ProviderResult.Transient(null, $"HTTP {(int)response.StatusCode}");
            json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
        }
        catch (HttpRequestException e) { return new ProviderResult.Transient(null, $"network error: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return new ProviderResult.Transient(null, "timeout"); }
        catch (JsonException) { return new ProviderResult.Transient(null, "unreadable response"); }
        var code = json?["errcode"]?.GetValue<int>() ?? 0;
        var reason = json?["errmsg"]?.GetValue<string>() ?? "";
        if (code == 0) return new ProviderResult.Sent(read(json));
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
        40004 => $"WeChat does not take this type of media ({errmsg}).",
        40005 => $"WeChat does not take this file format ({errmsg}).",
        40006 => $"The file is over WeChat's size limit for its type ({errmsg}).",
        40007 => $"WeChat no longer has this media (temporary media last three days) ({errmsg}).",
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
}
