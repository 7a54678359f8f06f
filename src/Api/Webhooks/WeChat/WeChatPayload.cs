using System.Text.Json;
using System.Xml;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Grains.Interfaces.Ingestion;

namespace Engine.Api.Webhooks.WeChat;

/// <summary>
/// WeChat callback bodies: XML (the default) or JSON, read as a flat set of fields. DTDs are
/// prohibited (no XXE). Messages are deduplicated by MsgId; events, which have none, by sender,
/// time, event and key.
/// </summary>
public static class WeChatPayload
{
    public static IReadOnlyDictionary<string, string> Fields(ReadOnlySpan<byte> body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        if (text.StartsWith('{'))
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new PayloadException("Expected a JSON object.");
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
        }
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(text), settings);
        var fields = new Dictionary<string, string>();
        try
        {
            reader.MoveToContent();
            if (reader.Name != "xml") throw new PayloadException("Expected an <xml> document.");
            reader.Read();
            while (!reader.EOF)
            {
                // Reading an element's content moves past it, so only read on when nothing was consumed.
                if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1)
                    fields[reader.Name] = reader.ReadElementContentAsString();
                else
                    reader.Read();
            }
        }
        catch (XmlException e) { throw new PayloadException($"The body is not valid XML: {e.Message}"); }
        return fields;
    }

    public static InboundBatch Parse(Guid channelId, IReadOnlyDictionary<string, string> f)
    {
        var openId = Get(f, "FromUserName") ?? throw new PayloadException("FromUserName is missing.");
        var type = Get(f, "MsgType") ?? throw new PayloadException("MsgType is missing.");
        if (!long.TryParse(Get(f, "CreateTime"), out var created)) throw new PayloadException("CreateTime must be Unix seconds.");
        var at = DateTimeOffset.FromUnixTimeSeconds(created);
        var contact = new InboundContact(openId, null, null, null);
        var json = JsonSerializer.Serialize(f);

        if (type == "event")
        {
            var ev = Get(f, "Event") ?? throw new PayloadException("Event is missing.");
            var key = $"{openId}:{created}:{ev}:{Get(f, "EventKey")}";
            return new InboundBatch(channelId, [], [], [new InboundEvent(key, contact, ev, at, json)]);
        }
        // MsgId 0 or absent cannot dedupe by itself: fall back to sender and time, as for events.
        var msgId = Get(f, "MsgId") is { } m && m != "0" ? m : $"{openId}:{created}:{type}";
        var text = type switch
        {
            "text" => Get(f, "Content"),
            "voice" => Get(f, "Recognition"),
            "location" => Get(f, "Label"),
            "link" => Get(f, "Title"),
            _ => null,
        };
        return new InboundBatch(channelId, [new InboundMessage(msgId, contact, at, type, text, json, null)], [], []);
    }

    private static string? Get(IReadOnlyDictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v : null;
}
