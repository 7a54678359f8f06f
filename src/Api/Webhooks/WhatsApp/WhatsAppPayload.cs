using System.Globalization;
using System.Text.Json;
using Engine.Grains.Interfaces.Ingestion;

namespace Engine.Api.Webhooks.WhatsApp;

/// <summary>A delivery that is valid JSON but not a WhatsApp webhook we can store whole.</summary>
public sealed class PayloadException(string message) : Exception(message);

/// <summary>A delivery read for one channel, and how many of its changes named another phone number (not stored
/// here).</summary>
public sealed record WhatsAppDelivery(InboundBatch Batch, int ForeignChanges,
    IReadOnlyList<TemplateStatusUpdate>? Templates = null);

/// <summary>Meta's <c>message_template_status_update</c>: a template of the business account <see cref="AccountId"/>
/// was approved, rejected, paused, disabled…</summary>
public sealed record TemplateStatusUpdate(string? AccountId, string Event, string? TemplateId, string? Name,
    string? Language, string? Reason);

/// <summary>
/// Reads a WhatsApp Cloud API webhook: every entry, change, message and status. A message is kept
/// whole (its JSON object as received) next to the fields the engine uses; unknown types and
/// extra fields pass through untouched. Only changes whose <c>metadata.phone_number_id</c> is the channel's are read:
/// one app secret can sign for several numbers, so a change for another number is never stored on this channel.
/// A text longer than the provider's limit (4,096 characters) is stored truncated, flagged <c>text_truncated</c>.
/// </summary>
public static class WhatsAppPayload
{
    /// <summary>The longest text body WhatsApp itself accepts.</summary>
    public const int MaxTextLength = 4096;

    public const string TruncatedWarning = "text_truncated";

    public static WhatsAppDelivery Parse(Guid channelId, string? phoneNumberId, ReadOnlySpan<byte> body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body)) throw new PayloadException("The body is not valid UTF-8.");
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || Str(root, "object") != "whatsapp_business_account")
            throw new PayloadException("Expected an object with \"object\": \"whatsapp_business_account\".");
        var messages = new List<InboundMessage>();
        var statuses = new List<InboundStatus>();
        var foreign = 0;
        var templates = new List<TemplateStatusUpdate>();
        foreach (var entry in Array(root, "entry"))
        foreach (var change in Array(entry, "changes"))
        {
            if (Str(change, "field") == "message_template_status_update" && change.TryGetProperty("value", out var update)
                && update.ValueKind == JsonValueKind.Object && Str(update, "event") is { Length: > 0 } status)
            {
                var templateId = update.TryGetProperty("message_template_id", out var tid)
                    ? tid.ValueKind == JsonValueKind.Number ? tid.GetRawText() : Str(update, "message_template_id") : null;
                templates.Add(new TemplateStatusUpdate(Str(entry, "id"), status, templateId,
                    Str(update, "message_template_name"), Str(update, "message_template_language"), Str(update, "reason")));
                continue;
            }
            if (Str(change, "field") != "messages" || !change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object) continue;
            var number = value.TryGetProperty("metadata", out var metadata) ? Str(metadata, "phone_number_id") : null;
            if (number is null || number != phoneNumberId)
            {
                foreign++;
                continue;
            }
            var profiles = Array(value, "contacts").ToList();
            foreach (var m in Array(value, "messages")) messages.Add(Message(m, profiles));
            foreach (var s in Array(value, "statuses")) statuses.Add(Status(s));
        }
        return new WhatsAppDelivery(new InboundBatch(channelId, messages, statuses, []), foreign, templates);
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
        var text = Text(m, type);
        var content = m.GetRawText();
        IReadOnlyList<string> warnings = [];
        if (text is { Length: > MaxTextLength })
        {
            // Cut on a character boundary; the stored object carries the cut text too, so no oversized copy is kept.
            var cut = char.IsHighSurrogate(text[MaxTextLength - 1]) ? MaxTextLength - 1 : MaxTextLength;
            var node = System.Text.Json.Nodes.JsonNode.Parse(content)!;
            if (type == "text" && node["text"] is System.Text.Json.Nodes.JsonObject t) t["body"] = text[..cut];
            content = node.ToJsonString();
            text = text[..cut];
            warnings = [TruncatedWarning];
        }
        return new InboundMessage(id, new InboundContact(externalId, name, waId, bsuid), Timestamp(m, id), type, text, content, replyTo, warnings);
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
        var raw = !e.TryGetProperty("timestamp", out var t) ? null
            : t.ValueKind == JsonValueKind.Number ? t.GetRawText()
            : t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
            throw new PayloadException($"{id}: timestamp must be Unix seconds.");
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray() : [];
}
