using Engine.Grains.Interfaces.Messaging;

namespace Engine.Grains.Messaging;

/// <summary>
/// The providers' limits, checked before a message is accepted: WhatsApp text ≤ 4,096; reply buttons
/// ≤ 3 with unique titles ≤ 20 and a body ≤ 1,024; lists ≤ 10 sections and 10 rows; files of the types and sizes
/// the channel takes (<see cref="MediaLimits"/>); images are checked against the recommended 800×600 (a warning, not
/// a refusal).
/// </summary>
public static class OutboundRules
{
    public const int TextMax = 4096;
    public const int ButtonBodyMax = 1024;
    public const int MaxButtons = 3;
    public const int ButtonTitleMax = 20;
    public const int RecommendedImageWidth = 800, RecommendedImageHeight = 600;
    public static readonly string[] Types = ["text", "image", "video", "audio", "document", "buttons", "list", "template"];

    /// <summary>The warning an image of this size gets (null at the recommended 800×600, or when its size is not
    /// known).</summary>
    public static string? ImageWarning(int? width, int? height) =>
        width is { } w && height is { } h && (w != RecommendedImageWidth || h != RecommendedImageHeight)
            ? $"image_dimensions: {w}×{h} is not the recommended {RecommendedImageWidth}×{RecommendedImageHeight}."
            : null;

    public sealed record Result(IReadOnlyDictionary<string, string[]> Errors, IReadOnlyList<string> Warnings)
    {
        public bool IsValid => Errors.Count == 0;
    }

    public static Result Validate(OutboundMessage m, string channelKind)
    {
        var errors = new Dictionary<string, List<string>>();
        var warnings = new List<string>();
        void Error(string field, string message) => (errors.TryGetValue(field, out var l) ? l : errors[field] = []).Add(message);
        void Max(string? value, int max, string field) { if (value is not null && value.Length > max) Error(field, $"At most {max} characters ({value.Length - max} too many)."); }

        if (!Types.Contains(m.Type)) { Error("type", $"One of {string.Join(", ", Types)}."); return Done(); }
        var wechat = channelKind == "wechat";
        switch (m.Type)
        {
            case "text":
                if (string.IsNullOrWhiteSpace(m.Text)) Error("text", "Required.");
                Max(m.Text, TextMax, "text");
                break;
            case "image" or "video" or "audio" or "document":
                if (wechat && m.Type == "document") Error("type", "WeChat's customer-service API cannot send documents.");
                Media(m.Type, m.Media);
                break;
            case "buttons":
                if (string.IsNullOrWhiteSpace(m.Text)) Error("text", "The body text is required.");
                Max(m.Text, ButtonBodyMax, "text");
                Max(m.Header, 60, "header");
                Max(m.Footer, 60, "footer");
                var buttons = m.Buttons ?? [];
                if (buttons.Count is < 1 or > MaxButtons) Error("buttons", $"Between 1 and {MaxButtons} buttons.");
                foreach (var (b, i) in buttons.Select((b, i) => (b, i)))
                {
                    if (string.IsNullOrWhiteSpace(b.Title)) Error($"buttons[{i}].title", "Required.");
                    Max(b.Title, ButtonTitleMax, $"buttons[{i}].title");
                    if (string.IsNullOrWhiteSpace(b.Id)) Error($"buttons[{i}].id", "Required.");
                    Max(b.Id, 256, $"buttons[{i}].id");
                }
                if (buttons.Select(b => b.Title?.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Count() != buttons.Count)
                    Error("buttons", "Button titles must be unique.");
                break;
            case "list":
                if (wechat) { Error("type", "WeChat has no list messages; send buttons (a menu) instead."); break; }
                if (string.IsNullOrWhiteSpace(m.Text)) Error("text", "The body text is required.");
                Max(m.Text, TextMax, "text");
                Max(m.Header, 60, "header");
                Max(m.Footer, 60, "footer");
                if (m.List is null) { Error("list", "Required."); break; }
                if (string.IsNullOrWhiteSpace(m.List.Button)) Error("list.button", "Required.");
                Max(m.List.Button, 20, "list.button");
                if (m.List.Sections.Count is < 1 or > 10) Error("list.sections", "Between 1 and 10 sections.");
                var rows = m.List.Sections.SelectMany(s => s.Rows).ToList();
                if (rows.Count is < 1 or > 10) Error("list.sections", "Between 1 and 10 rows in all.");
                foreach (var (s, i) in m.List.Sections.Select((s, i) => (s, i))) Max(s.Title, 24, $"list.sections[{i}].title");
                foreach (var (r, i) in rows.Select((r, i) => (r, i)))
                {
                    if (string.IsNullOrWhiteSpace(r.Id) || string.IsNullOrWhiteSpace(r.Title)) Error($"list.rows[{i}]", "Id and title are required.");
                    Max(r.Id, 200, $"list.rows[{i}].id");
                    Max(r.Title, 24, $"list.rows[{i}].title");
                    Max(r.Description, 72, $"list.rows[{i}].description");
                }
                if (rows.Select(r => r.Id).Distinct().Count() != rows.Count) Error("list.sections", "Row ids must be unique.");
                break;
            case "template":
                if (wechat) { Error("type", "WeChat has no message templates in the customer-service API."); break; }
                if (m.Template is null) { Error("template", "Required."); break; }
                if (string.IsNullOrWhiteSpace(m.Template.Name)) Error("template.name", "Required.");
                if (string.IsNullOrWhiteSpace(m.Template.Language)) Error("template.language", "Required, e.g. en_US.");
                break;
        }
        return Done();

        void Media(string type, OutboundMedia? media)
        {
            if (media is null) { Error("media", "Required."); return; }
            var sources = (media.Url is null ? 0 : 1) + (media.Id is null ? 0 : 1) + (media.AttachmentId is null ? 0 : 1);
            if (sources != 1) Error("media", "Give exactly one of url, id and attachmentId.");
            if (media.Url is not null && !(Uri.TryCreate(media.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
                Error("media.url", "Must be an absolute http(s) URL.");
            if (wechat && media.Url is not null) Error("media.url", "WeChat sends media by uploaded media id.");
            Max(media.Caption, 1024, "media.caption");
            Max(media.Filename, 240, "media.filename");
            var allowed = MediaLimits.ForType(channelKind, type);
            var channel = wechat ? "WeChat" : "WhatsApp";
            if (allowed is not null && media.ContentType is { } contentType && !allowed.ContentTypes.Contains(contentType))
                Error("media.contentType", $"{channel} does not send {contentType} as {type} (it takes "
                    + $"{string.Join(", ", allowed.ContentTypes.Order())}).");
            if (allowed is not null && media.SizeBytes > allowed.MaxBytes)
                Error("media.sizeBytes", $"{channel} limits {type} files to {MediaLimits.Readable(allowed.MaxBytes)} "
                    + $"({media.SizeBytes - allowed.MaxBytes} bytes too many).");
            if (type == "image" && ImageWarning(media.Width, media.Height) is { } warning) warnings.Add(warning);
        }

        Result Done() => new(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), warnings);
    }
}
