using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Grains.Interfaces.Messaging;
using Engine.Silo.Channels;

namespace Engine.Silo.Outbound;

/// <summary>The WhatsApp Cloud API send endpoint: <c>POST {base}/{version}/{phone-number-id}/messages</c> with the channel's bearer token.</summary>
public sealed class WhatsAppClient(IHttpClientFactory http)
{
    /// <summary>Codes worth retrying: throughput and pair limits, temporary failures.</summary>
    private static readonly HashSet<int> Retryable = [1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057];

    public Task<ProviderResult> SendAsync(Channel channel, Recipient to, OutboundMessage message, string idempotencyKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{PhoneNumberUrl(channel)}/messages")
        {
            Content = new StringContent(Body(to, message, idempotencyKey).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return CallAsync(channel, request, json => json?["messages"]?[0]?["id"]?.GetValue<string>(), ct);
    }

    /// <summary>Uploads a file for sending (<c>POST /{phone-number-id}/media</c>, multipart: messaging_product, type
    /// and the file); <see cref="ProviderResult.Sent"/> carries the media id to send it by.</summary>
    public Task<ProviderResult> UploadAsync(Channel channel, byte[] content, string contentType, string filename,
        CancellationToken ct)
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var form = new MultipartFormDataContent
        {
            { new StringContent("whatsapp"), "messaging_product" },
            { new StringContent(contentType), "type" },
            { file, "file", filename },
        };
        var request = new HttpRequestMessage(HttpMethod.Post, $"{PhoneNumberUrl(channel)}/media") { Content = form };
        return CallAsync(channel, request, json => json?["id"]?.GetValue<string>(), ct);
    }

    private static string PhoneNumberUrl(Channel channel) =>
        $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/{channel.Settings.ApiVersion}/{channel.Settings.PhoneNumberId}";

    /// <summary>One Graph API call with the channel's token: a success with what <paramref name="read"/> finds is
    /// <see cref="ProviderResult.Sent"/>; throughput, temporary and server errors are transient.</summary>
    private async Task<ProviderResult> CallAsync(Channel channel, HttpRequestMessage request, Func<JsonNode?, string?> read,
        CancellationToken ct)
    {
        using var _ = request;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Secrets.AccessToken);
        HttpResponseMessage response;
        try { response = await http.CreateClient("providers").SendAsync(request, ct); }
        catch (HttpRequestException e) { return new ProviderResult.Transient(null, $"network error: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return new ProviderResult.Transient(null, "timeout"); }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonNode? json = null;
            try { json = JsonNode.Parse(text); } catch (JsonException) { }
            if (response.IsSuccessStatusCode && read(json) is { } id)
                return new ProviderResult.Sent(id);
            var error = json?["error"];
            var code = error?["code"]?.GetValue<int>();
            var reason = error?["error_data"]?["details"]?.GetValue<string>() ?? error?["message"]?.GetValue<string>()
                ?? $"HTTP {(int)response.StatusCode}";
            if (code is { } c && Retryable.Contains(c) || (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests
                || (code is null && !response.IsSuccessStatusCode && (int)response.StatusCode is 408))
                return new ProviderResult.Transient(code, reason);
            return new ProviderResult.Permanent(code, reason);
        }
    }

    /// <summary>The Graph API body for each message type.</summary>
    public static JsonObject Body(Recipient to, OutboundMessage m, string idempotencyKey)
    {
        var body = new JsonObject { ["messaging_product"] = "whatsapp", ["recipient_type"] = "individual" };
        // Users known only by their business-scoped id (no phone) are addressed with "recipient".
        if (to.Phone is not null) body["to"] = "+" + to.Phone.TrimStart('+');
        else body["recipient"] = to.Bsuid ?? to.ExternalId;
        body["biz_opaque_callback_data"] = idempotencyKey;
        if (m.ReplyToProviderId is not null) body["context"] = new JsonObject { ["message_id"] = m.ReplyToProviderId };
        switch (m.Type)
        {
            case "text":
                body["type"] = "text";
                body["text"] = new JsonObject { ["preview_url"] = m.PreviewUrl, ["body"] = m.Text };
                break;
            case "image" or "video" or "audio" or "document":
                var media = new JsonObject();
                if (m.Media!.Id is not null) media["id"] = m.Media.Id; else media["link"] = m.Media.Url;
                if (m.Media.Caption is not null && m.Type != "audio") media["caption"] = m.Media.Caption;
                if (m.Media.Filename is not null && m.Type == "document") media["filename"] = m.Media.Filename;
                body["type"] = m.Type;
                body[m.Type] = media;
                break;
            case "buttons":
                body["type"] = "interactive";
                body["interactive"] = Interactive("button", m, new JsonObject
                {
                    ["buttons"] = new JsonArray(m.Buttons!.Select(b => (JsonNode)new JsonObject
                        { ["type"] = "reply", ["reply"] = new JsonObject { ["id"] = b.Id, ["title"] = b.Title } }).ToArray()),
                });
                break;
            case "list":
                body["type"] = "interactive";
                body["interactive"] = Interactive("list", m, new JsonObject
                {
                    ["button"] = m.List!.Button,
                    ["sections"] = new JsonArray(m.List.Sections.Select(s => (JsonNode)new JsonObject
                    {
                        ["title"] = s.Title,
                        ["rows"] = new JsonArray(s.Rows.Select(r => (JsonNode)new JsonObject
                            { ["id"] = r.Id, ["title"] = r.Title, ["description"] = r.Description }).ToArray()),
                    }).ToArray()),
                });
                break;
            case "template":
                var template = new JsonObject { ["name"] = m.Template!.Name, ["language"] = new JsonObject { ["code"] = m.Template.Language } };
                if (m.Template.Parameters is { Count: > 0 } ps)
                    template["components"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "body",
                        ["parameters"] = new JsonArray(ps.Select(p => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = p }).ToArray()),
                    });
                body["type"] = "template";
                body["template"] = template;
                break;
        }
        return body;
    }

    private static JsonObject Interactive(string type, OutboundMessage m, JsonObject action)
    {
        var o = new JsonObject { ["type"] = type };
        if (m.Header is not null) o["header"] = new JsonObject { ["type"] = "text", ["text"] = m.Header };
        o["body"] = new JsonObject { ["text"] = m.Text };
        if (m.Footer is not null) o["footer"] = new JsonObject { ["text"] = m.Footer };
        o["action"] = action;
        return o;
    }
}
