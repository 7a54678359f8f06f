using System.Globalization;
using System.Text.Json;
using Engine.Grains.Interfaces.Ingestion;

namespace Engine.Api.Webhooks.WhatsApp;

/// <summary>A delivery that is valid JSON but not a WhatsApp webhook we can store whole.</summary>
public sealed class PayloadException(string message) : Exception(message);

/// <summary>
/// Reads a WhatsApp Cloud API webhook: every entry, change, message and status. A message is kept
/// whole (its JSON object as received) next to the fields the engine uses; unknown types and
/// extra fields pass through untouched.
/// </summary>
public static class WhatsAppPayload
{
    public static InboundBatch Parse(Guid channelId, ReadOnlySpan<byte> body)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || Str(root, "object") != "whatsapp_business_account")
            throw new PayloadException("Expected an object with \"object\": \"whatsapp_business_account\".");
        var messages = new List<InboundMessage>();
        var statuses = new List<InboundStatus>();
        foreach (var entry in Array(root, "entry"))
        foreach (var change in Array(entry, "changes"))
        {
            if (Str(change, "field") != "messages" || !change.TryGetProperty("value", out var value)) continue;
            var profiles = Array(value, "contacts").ToList();
            foreach (var m in Array(value, "messages")) messages.Add(Message(m, profiles));
            foreach (var s in Array(value, "statuses")) statuses.Add(Status(s));
        }
        return new InboundBatch(channelId, messages, statuses, []);
    }

    private static InboundMessage Message(JsonElement m, List<JsonElement> profiles)
    {
        var id = Str(m, "id") ?? throw new PayloadException("A message has no id.");
        var from = Str(m, "from");
        var fromUser = Str(m, "from_user_id");
        // Key the customer by wa_id, else by the business-scoped user id (users with a username may hide their number).
        var profile = profiles.FirstOrDefault(p => (from is not null && Str(p, "wa_id") == from) || (fromUser is not null && Str(p, "user_id") == fromUser));
        if (profile.ValueKind == JsonValueKind.Undefined && profiles.Count == 1) profile = profiles[0];
        var waId = profile.ValueKind == JsonValueKind.Object ? Str(profile, "wa_id") ?? from : from;
        var bsuid = fromUser ?? (profile.ValueKind == JsonValueKind.Object ? Str(profile, "user_id") : null);
        var externalId = waId ?? bsuid ?? throw new PayloadException($"Message {id} names no sender (from / from_user_id).");
        var name = profile.ValueKind == JsonValueKind.Object && profile.TryGetProperty("profile", out var p) ? Str(p, "name") : null;

        var type = Str(m, "type") ?? "unknown";
        string? replyTo = m.TryGetProperty("context", out var ctx) ? Str(ctx, "id") : null;
        return new InboundMessage(id, new InboundContact(externalId, name, waId, bsuid), Timestamp(m, id), type, Text(m, type), m.GetRawText(), replyTo);
    }

    /// <summary>The human-readable part of each message type, for lists, search and rules.</summary>
    private static string? Text(JsonElement m, string type)
    {
        if (!m.TryGetProperty(type, out var o)) return null;
        return type switch
        {
            "text" => Str(o, "body"),
            "image" or "video" or "document" or "audio" or "sticker" => Str(o, "caption") ?? Str(o, "filename"),
            "interactive" => o.TryGetProperty("button_reply", out var b) ? Str(b, "title")
                : o.TryGetProperty("list_reply", out var l) ? Str(l, "title")
                : o.TryGetProperty("nfm_reply", out var n) ? Str(n, "body") : null,
            "button" => Str(o, "text"),
            "reaction" => Str(o, "emoji"),
            "location" => Str(o, "name") ?? Str(o, "address")
                ?? (o.TryGetProperty("latitude", out var la) && o.TryGetProperty("longitude", out var lo) ? $"{la.GetRawText()},{lo.GetRawText()}" : null),
            "contacts" => o.ValueKind == JsonValueKind.Array
                ? string.Join(", ", o.EnumerateArray().Select(c => c.TryGetProperty("name", out var nm) ? Str(nm, "formatted_name") : null).OfType<string>())
                : null,
            "order" => Str(o, "text"),
            _ => null,
        };
    }

    private static InboundStatus Status(JsonElement s)
    {
        var id = Str(s, "id") ?? throw new PayloadException("A status has no id.");
        var status = Str(s, "status") ?? throw new PayloadException($"Status for {id} has no status.");
        var errors = s.TryGetProperty("errors", out var e) ? e.GetRawText() : null;
        return new InboundStatus(id, status, Timestamp(s, id), errors);
    }

    private static DateTimeOffset Timestamp(JsonElement e, string id)
    {
        var raw = e.TryGetProperty("timestamp", out var t)
            ? t.ValueKind == JsonValueKind.Number ? t.GetRawText() : t.GetString()
            : null;
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            throw new PayloadException($"{id}: timestamp must be Unix seconds.");
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray() : [];
}
