using System.Text;
using Engine.Api.Webhooks.WhatsApp;

namespace Engine.Tests.Infrastructure;

/// <summary>Webhook bodies shaped like Meta's documented payloads.</summary>
public static class Wa
{
    public const string PhoneNumberId = "990123456789012";

    public static string NewId() => "wamid." + Convert.ToBase64String(Guid.NewGuid().ToByteArray());

    public static string Envelope(string contactsJson, string messagesJson, string statusesJson = "[]", string phoneNumberId = PhoneNumberId) => $$"""
        {"object":"whatsapp_business_account","entry":[{"id":"880011223344556","changes":[{"value":{
          "messaging_product":"whatsapp",
          "metadata":{"display_phone_number":"15557654321","phone_number_id":"{{phoneNumberId}}"},
          "contacts":{{contactsJson}},"messages":{{messagesJson}},"statuses":{{statusesJson}}},"field":"messages"}]}]}
        """;

    public static string Contact(string waId, string name) => $$"""{"profile":{"name":"{{name}}"},"wa_id":"{{waId}}"}""";

    public static string Text(string from, string id, long ts, string body) =>
        $$$"""{"from":"{{{from}}}","id":"{{{id}}}","timestamp":"{{{ts}}}","type":"text","text":{"body":"{{{body}}}"}}""";

    /// <summary>A media message (image, audio, video, document, sticker) as Meta shapes it: the media id to fetch, its
    /// type and SHA-256, and the caption or file name when given.</summary>
    public static string Media(string from, string id, long ts, string type, string mediaId, string sha256, string mimeType,
        string? filename = null, string? caption = null)
    {
        var media = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["id"] = mediaId, ["mime_type"] = mimeType, ["sha256"] = sha256, ["caption"] = caption, ["filename"] = filename,
        }.Where(e => e.Value is not null).ToDictionary());
        return $$"""{"from":"{{from}}","id":"{{id}}","timestamp":"{{ts}}","type":"{{type}}","{{type}}":{{media}}}""";
    }

    /// <summary>One customer, one text message.</summary>
    public static string TextDelivery(string from, string id, long ts, string body, string name = "Ana Lima", string phoneNumberId = PhoneNumberId) =>
        Envelope($"[{Contact(from, name)}]", $"[{Text(from, id, ts, body)}]", phoneNumberId: phoneNumberId);

    public static string Status(string id, string status, long ts, string recipient = "5511987654321", string? errors = null) =>
        $$"""{"id":"{{id}}","status":"{{status}}","timestamp":"{{ts}}","recipient_id":"{{recipient}}"{{(errors is null ? "" : ",\"errors\":" + errors)}}}""";

    public static string StatusDelivery(params string[] statuses) => Envelope("[]", "[]", "[" + string.Join(",", statuses) + "]");

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, Guid channelId, string body, string secret = EngineFixture.AppSecret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/whatsapp/{channelId}") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WhatsAppSignature.Header, WhatsAppSignature.Sign(bytes, secret));
        return await client.SendAsync(request);
    }
}
