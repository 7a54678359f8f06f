using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Grains.Interfaces.Ingestion;

namespace Engine.Api.Webhooks.WeChat;

/// <summary>A callback body read whole: the top-level fields as text (a nested element as its JSON), and the whole
/// tree as JSON.</summary>
public sealed record WeChatDocument(IReadOnlyDictionary<string, string> Fields, string Json);

/// <summary>
/// WeChat callback bodies: XML (the default) or JSON. Any well-formed document is read, however its elements nest
/// (menu events with <c>ScanCodeInfo</c>, <c>SendPicsInfo</c>, subscribe-message lists, job reports…): an element with
/// children becomes an object, repeated names an array. DTDs are prohibited (no XXE). Messages are deduplicated by
/// MsgId; events, which have none, by sender, time, event and key.
/// </summary>
public static class WeChatPayload
{
    private static readonly XmlReaderSettings Secure = new()
    {
        DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 4 * 1024 * 1024, IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    public static WeChatDocument Read(ReadOnlySpan<byte> body)
    {
        string text;
        try { text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body).Trim().TrimStart('\uFEFF'); }
        catch (System.Text.DecoderFallbackException) { throw new PayloadException("The body is not valid UTF-8."); }
        return text.StartsWith('{') ? FromJson(text) : FromXml(text);
    }

    private static WeChatDocument FromJson(string text)
    {
        using var doc = JsonDocument.Parse(text);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new PayloadException("Expected a JSON object.");
        var fields = new Dictionary<string, string>();
        foreach (var p in doc.RootElement.EnumerateObject())
            fields[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return new WeChatDocument(fields, doc.RootElement.GetRawText());
    }

    private static WeChatDocument FromXml(string text)
    {
        XElement root;
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), Secure);
            root = XElement.Load(reader);
        }
        catch (XmlException e) { throw new PayloadException($"The body is not well-formed XML: {e.Message}"); }
        var tree = ToJson(root, depth: 0) as JsonObject ?? [];
        var fields = new Dictionary<string, string>();
        foreach (var (name, value) in tree)
            fields[name] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
        return new WeChatDocument(fields, tree.ToJsonString());
    }

    /// <summary>Text for a leaf; an object for an element with children (attributes as "@name"), an array for
    /// repeats.</summary>
    private static JsonNode? ToJson(XElement e, int depth)
    {
        if (depth > 64) throw new PayloadException("The XML nests more than 64 levels deep.");
        if (!e.HasElements && !e.HasAttributes) return JsonValue.Create(e.Value);
        var o = new JsonObject();
        foreach (var a in e.Attributes()) o["@" + a.Name.LocalName] = a.Value;
        foreach (var group in e.Elements().GroupBy(c => c.Name.LocalName))
        {
            var items = group.Select(c => ToJson(c, depth + 1)).ToList();
            o[group.Key] = items.Count == 1 ? items[0] : new JsonArray([.. items]);
        }
        if (!e.HasElements && e.Value.Length > 0) o["#text"] = e.Value;
        return o;
    }

    public static InboundBatch Parse(Guid channelId, WeChatDocument document)
    {
        var f = document.Fields;
        var openId = Get(f, "FromUserName") ?? throw new PayloadException("FromUserName is missing.");
        var type = Get(f, "MsgType") ?? throw new PayloadException("MsgType is missing.");
        if (!long.TryParse(Get(f, "CreateTime"), out var created) || created is < 0 or > 253402300799)
            throw new PayloadException("CreateTime must be Unix seconds.");
        var at = DateTimeOffset.FromUnixTimeSeconds(created);
        var contact = new InboundContact(openId, null, null, null);

        if (type == "event")
        {
            // Every event is stored, acted on or not; one the engine has no use for is still a record of what happened.
            var ev = Get(f, "Event") ?? "unknown";
            var key = $"{openId}:{created}:{ev}:{Get(f, "EventKey") ?? Get(f, "MsgID")}";
            return new InboundBatch(channelId, [], [], [new InboundEvent(key, contact, ev, at, document.Json)]);
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
        return new InboundBatch(channelId, [new InboundMessage(msgId, contact, at, type, text, document.Json, null)], [], []);
    }

    private static string? Get(IReadOnlyDictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v : null;
}
