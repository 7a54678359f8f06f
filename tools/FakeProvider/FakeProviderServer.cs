using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.FakeProvider;

public sealed record SentMessage(string Provider, string Sender, string Recipient, string Type, string Body, string? IdempotencyKey, string? ProviderMessageId);

/// <summary>
/// A local stand-in for Meta's Graph API send endpoint and WeChat's token and customer-service
/// endpoints, over real HTTP. It answers with the providers' documented success and error bodies
/// (window closed 131047/45015, rate limited 130429/45009, invalid recipient 131026, token errors),
/// enforces a per-number rate, can be told to fail or stall, honours an Idempotency-Key (a repeated
/// key gets the first answer and is not a second send), and posts the resulting status webhooks
/// back — sent, delivered, read or failed — optionally out of order and duplicated, as Meta does.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _idempotent = new();
    private readonly ConcurrentQueue<(string Status, string Wamid, string Recipient, string? Errors, string PhoneNumberId)> _statuses = new();
    private readonly ConcurrentDictionary<(string Number, long Second), int> _rate = new();
    private readonly ConcurrentDictionary<string, int> _weChatWindowSends = new();
    private readonly object _failLock = new();
    private readonly Queue<(int Status, string Body)> _failures = new();
    private int _stalls;
    private TimeSpan _stallFor;
    private int _tokenCounter, _fetchesInFlight;
    private readonly HashSet<string> _validTokens = [];
    private readonly Random _chaos = new(7);

    public Uri BaseUrl { get; private set; } = null!;
    public ConcurrentQueue<SentMessage> Sent { get; } = new();
    /// <summary>The received messages' ids marked read (<c>status: read</c>), in order.</summary>
    public ConcurrentQueue<string> ReadReceipts { get; } = new();
    public int SendRequests;
    public int TokenFetches;
    public int MaxConcurrentTokenFetches;

    /// <summary>Per phone-number-id sends per second (WhatsApp's default is 80).</summary>
    public int RatePerSecond { get; set; } = 80;
    public ConcurrentDictionary<string, bool> ClosedWindow { get; } = new();
    public ConcurrentDictionary<string, bool> Unreachable { get; } = new();

    /// <summary>WeChat followers' profile language by openid ("zh_CN", "en", "th"…); an openid not here has not followed
    /// the account (user info answers subscribe 0, without a language).</summary>
    public ConcurrentDictionary<string, string> Followers { get; } = new();

    public int UserInfoRequests;
    public int WeChatWindowQuota { get; set; } = 5;
    public string? StatusWebhookUrl { get; set; }
    public string? StatusWebhookSecret { get; set; }
    /// <summary>Deliver statuses shuffled, with a duplicate, as Meta sometimes does.</summary>
    public bool StatusChaos { get; set; }
    public TimeSpan TokenFetchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Media customers sent, by media id: what <c>GET /{version}/{media-id}</c> describes and its URL serves.
    /// <see cref="MediaInfo.Sha256"/> is what the description claims (the real hash unless a test says otherwise).</summary>
    public ConcurrentDictionary<string, MediaInfo> Media { get; } = new();
    public sealed record MediaInfo(byte[] Bytes, string MimeType, string Sha256);
    /// <summary>Download URLs live this long (Meta: about 5 minutes); the next <see cref="ExpireNextMediaUrls"/> are
    /// handed out already expired.</summary>
    public TimeSpan MediaUrlLifetime { get; set; } = TimeSpan.FromMinutes(5);
    public int ExpireNextMediaUrls;
    public int MediaDownloads;

    /// <summary>Message templates by WhatsApp Business Account id: what <c>GET /{version}/{waba-id}/message_templates</c>
    /// lists, <see cref="TemplatePageSize"/> at a time.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, FakeTemplate>> Templates { get; } = new();
    public sealed record FakeTemplate(string Id, string Name, string Language, string Category, string Status, string Body,
        string? RejectedReason = null);
    public int TemplatePageSize { get; set; } = 100;

    /// <summary>Adds (or replaces) a template of the business account; returns its id.</summary>
    public string AddTemplate(string waba, string name, string language, string body, string status = "APPROVED",
        string category = "UTILITY")
    {
        var id = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString();
        Templates.GetOrAdd(waba, _ => new())[$"{name}|{language}"] = new FakeTemplate(id, name, language, category, status, body);
        return id;
    }

    /// <summary>Files the business uploaded to send (WhatsApp <c>POST /{phone-number-id}/media</c>, WeChat
    /// <c>/cgi-bin/media/upload</c>), by the media id the upload answered with; a send may name only these.</summary>
    public ConcurrentDictionary<string, Upload> Uploads { get; } = new();
    public sealed record Upload(string Provider, string Owner, byte[] Bytes, string MimeType, string? Filename, string Kind,
        string? UserAgent = null);
    public int UploadRequests;
    /// <summary>The next uploads succeed but answer without their media id (a provider fault the engine must not take
    /// for a send).</summary>
    public int OmitNextUploadIds;
    /// <summary>While set, an upload is stored but its answer waits for this task (a node can die in between).</summary>
    public TaskCompletionSource? HoldUploadAnswers { get; set; }
    public TaskCompletionSource UploadArrived { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What WhatsApp's media endpoint takes, by message type: the MIME types and the largest size.</summary>
    private static readonly Dictionary<string, (string[] Types, long Max)> WhatsAppUploadRules = new()
    {
        ["image"] = (["image/jpeg", "image/png"], 5L << 20),
        ["video"] = (["video/mp4", "video/3gpp"], 16L << 20),
        ["audio"] = (["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"], 16L << 20),
        ["document"] = (["text/plain", "application/pdf", "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"], 100L << 20),
        ["sticker"] = (["image/webp"], 500L << 10),
    };

    /// <summary>WeChat's temporary media by upload type: formats (file extensions) and the largest size.</summary>
    private static readonly Dictionary<string, (string[] Formats, long Max)> WeChatUploadRules = new()
    {
        ["image"] = (["png", "jpeg", "jpg", "gif"], 10L << 20),
        ["voice"] = (["amr", "mp3"], 2L << 20),
        ["video"] = (["mp4"], 10L << 20),
        ["thumb"] = (["jpg", "jpeg"], 64L << 10),
    };

    /// <summary>Registers media as a customer's upload; returns its media id.</summary>
    public string AddMedia(byte[] bytes, string mimeType, string? claimedSha256 = null)
    {
        var id = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString() + RandomNumberGenerator.GetInt32(1000, 9999);
        Media[id] = new MediaInfo(bytes, mimeType, claimedSha256 ?? Convert.ToHexStringLower(SHA256.HashData(bytes)));
        return id;
    }
    /// <summary>Posts status webhooks through this client (e.g. to an in-process test host) instead of a new one.</summary>
    public HttpClient? StatusClient { get; set; }

    private FakeProviderServer(WebApplication app) => _app = app;

    public static async Task<FakeProviderServer> StartAsync(string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var fake = new FakeProviderServer(app);
        fake.Map(app);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return fake;
    }

    /// <summary>The next <paramref name="count"/> sends fail with this HTTP status and Graph/WeChat error.</summary>
    public void FailNext(int count, int httpStatus, int code, string message, bool weChat = false)
    {
        var body = weChat
            ? Json(new { errcode = code, errmsg = message })
            : Json(new { error = new { message = $"(#{code}) {message}", type = "OAuthException", code, error_data = new { messaging_product = "whatsapp", details = message }, fbtrace_id = "Afake" } });
        lock (_failLock) for (var i = 0; i < count; i++) _failures.Enqueue((httpStatus, body));
    }

    public void StallNext(int count, TimeSpan stall) { _stallFor = stall; Interlocked.Exchange(ref _stalls, count); }

    /// <summary>Invalidates every WeChat token, as a fetch elsewhere or an expiry would.</summary>
    public void ExpireTokens() { lock (_validTokens) _validTokens.Clear(); }

    private void Map(WebApplication app)
    {
        app.MapPost("/{version}/{phoneNumberId}/messages", WhatsAppSend);
        app.MapGet("/cgi-bin/token", WeChatToken);
        app.MapGet("/{version}/{mediaId}", WhatsAppMediaInfo);
        app.MapPost("/{version}/{phoneNumberId}/media", WhatsAppUpload).DisableAntiforgery();
        app.MapPost("/cgi-bin/media/upload", WeChatUpload).DisableAntiforgery();
        app.MapGet("/_fake/media/{mediaId}/download", WhatsAppMediaDownload);
        app.MapGet("/{version}/{waba}/message_templates", WhatsAppTemplates);
        app.MapPost("/cgi-bin/message/custom/send", WeChatSend);
        app.MapGet("/cgi-bin/user/info", WeChatUserInfo);
        app.MapGet("/cgi-bin/media/get", WeChatMedia);
        // Control endpoints for running the fake by hand (tests use the object directly).
        app.MapPost("/_fake/fail", (FailRequest r) => { FailNext(r.Count, r.Status, r.Code, r.Message, r.WeChat); return Results.Ok(); });
        app.MapPost("/_fake/stall", (StallRequest r) => { StallNext(r.Count, TimeSpan.FromMilliseconds(r.Milliseconds)); return Results.Ok(); });
        app.MapPost("/_fake/recipients/{id}", (string id, RecipientRequest r) =>
        {
            ClosedWindow[id] = r.WindowClosed;
            Unreachable[id] = r.Unreachable;
            return Results.Ok();
        });
        app.MapPost("/_fake/webhook", (WebhookRequest r) => { StatusWebhookUrl = r.Url; StatusWebhookSecret = r.AppSecret; StatusChaos = r.Chaos; return Results.Ok(); });
        app.MapPost("/_fake/statuses/deliver", async () => Results.Ok(new { delivered = await DeliverStatusesAsync() }));
        app.MapGet("/_fake/sent", () => Results.Ok(Sent.ToArray()));
    }

    /// <summary>Graph API's media description: the short-lived download URL, its type, hash and size.</summary>
    private IResult WhatsAppMediaInfo(string version, string mediaId, HttpRequest request)
    {
        if (!version.StartsWith('v')) return Results.NotFound();
        if (!HasBearer(request)) return GraphError(401, 190, "Access token has expired", "Error validating access token");
        if (!Media.TryGetValue(mediaId, out var media))
            return GraphError(400, 100, "Unsupported get request",
                $"Unsupported get request. Object with ID '{mediaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.");
        var expired = false;
        lock (_failLock)
            if (ExpireNextMediaUrls > 0) { ExpireNextMediaUrls--; expired = true; }
        var lifetime = expired ? TimeSpan.FromMinutes(-1) : MediaUrlLifetime;
        var expires = DateTimeOffset.UtcNow.Add(lifetime).ToUnixTimeSeconds();
        return Results.Json(new
        {
            messaging_product = "whatsapp",
            url = new Uri(BaseUrl, $"_fake/media/{mediaId}/download?expires={expires}").ToString(),
            mime_type = media.MimeType, sha256 = media.Sha256, file_size = media.Bytes.LongLength, id = mediaId,
        });
    }

    /// <summary>
    /// WhatsApp's media upload: multipart with <c>messaging_product=whatsapp</c>, <c>type</c> (the MIME type) and
    /// <c>file</c>; a type WhatsApp does not send, or a file over its type's limit, is error 131053; answers the media id.
    /// </summary>
    private async Task<IResult> WhatsAppUpload(string version, string phoneNumberId, HttpRequest request)
    {
        Interlocked.Increment(ref UploadRequests);
        if (!HasBearer(request)) return GraphError(401, 190, "Access token has expired", "Error validating access token");
        if (!request.HasFormContentType) return GraphError(400, 100, "Invalid parameter", "The upload must be multipart/form-data");
        var form = await request.ReadFormAsync();
        if (form["messaging_product"] != "whatsapp")
            return GraphError(400, 100, "Invalid parameter", "messaging_product is required and must be whatsapp");
        if (form.Files.GetFile("file") is not { } file) return GraphError(400, 100, "Invalid parameter", "file is required");
        var mime = form["type"].ToString();
        if (mime.Length == 0) return GraphError(400, 100, "Invalid parameter", "type is required");
        var kind = WhatsAppUploadRules.FirstOrDefault(r => r.Value.Types.Contains(mime)).Key;
        if (kind is null) return GraphError(400, 131053, "Media upload error", $"Unsupported file type: {mime}");
        if (file.Length > WhatsAppUploadRules[kind].Max)
            return GraphError(400, 131053, "Media upload error",
                $"The {kind} is {file.Length} bytes; the limit is {WhatsAppUploadRules[kind].Max}");
        var id = await StoreUploadAsync("whatsapp", phoneNumberId, file, mime, kind, request.Headers.UserAgent);
        return Results.Json(new { id });
    }

    /// <summary>
    /// WeChat's temporary media upload (<c>?access_token&amp;type=image|voice|video|thumb</c>, form field
    /// <c>media</c>): 40004 for another type, 40005 for a format the type does not take, 40006 over its size.
    /// </summary>
    private async Task<IResult> WeChatUpload(string? access_token, string? type, HttpRequest request)
    {
        Interlocked.Increment(ref UploadRequests);
        bool valid;
        lock (_validTokens) valid = access_token is not null && _validTokens.Contains(access_token);
        if (!valid) return WeChatError(40001, "invalid credential, access_token is invalid or not latest");
        if (type is null || !WeChatUploadRules.TryGetValue(type, out var rule)) return WeChatError(40004, "invalid media type");
        if (!request.HasFormContentType || (await request.ReadFormAsync()).Files.GetFile("media") is not { } file)
            return WeChatError(41005, "media data missing");
        var extension = Path.GetExtension(file.FileName).TrimStart('.').ToLowerInvariant();
        if (!rule.Formats.Contains(extension)) return WeChatError(40005, "invalid file type");
        if (file.Length > rule.Max) return WeChatError(40006, "invalid meida size");
        var id = await StoreUploadAsync("wechat", "", file, file.ContentType, type, request.Headers.UserAgent);
        if (Interlocked.Decrement(ref OmitNextUploadIds) >= 0)
            return Results.Json(new { errcode = 0, type, created_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() });
        Interlocked.Exchange(ref OmitNextUploadIds, 0);
        return Results.Json(new { type, media_id = id, created_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() });
    }

    private async Task<string> StoreUploadAsync(string provider, string owner, IFormFile file, string mime, string kind,
        string? userAgent)
    {
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer);
        var id = provider == "wechat"
            ? "WX" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16))
            : RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString() + RandomNumberGenerator.GetInt32(1000, 9999);
        Uploads[id] = new Upload(provider, owner, buffer.ToArray(), mime, file.FileName, kind, userAgent);
        UploadArrived.TrySetResult();
        if (HoldUploadAnswers is { } hold) await hold.Task;
        return id;
    }

    /// <summary>Registers a file as uploaded by a number (as if through the media endpoint); returns its media id.</summary>
    public string AddUpload(string phoneNumberId, byte[] bytes, string mimeType, string kind, string? filename = null)
    {
        var id = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString() + RandomNumberGenerator.GetInt32(1000, 9999);
        Uploads[id] = new Upload("whatsapp", phoneNumberId, bytes, mimeType, filename, kind);
        return id;
    }

    /// <summary>The business account's templates, a page at a time (cursor <c>after</c>, a <c>next</c> URL while more).</summary>
    private IResult WhatsAppTemplates(string version, string waba, string? after, int? limit, HttpRequest request)
    {
        if (!HasBearer(request)) return GraphError(401, 190, "Access token has expired", "Error validating access token");
        if (!Templates.TryGetValue(waba, out var all))
            return GraphError(400, 100, "Unsupported get request", $"Object with ID '{waba}' does not exist.");
        var ordered = all.Values.OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        var start = int.TryParse(after, out var a) ? a : 0;
        var size = Math.Min(limit ?? 25, TemplatePageSize);
        var page = ordered.Skip(start).Take(size).Select(t => new
        {
            name = t.Name, language = t.Language, status = t.Status, category = t.Category, id = t.Id,
            rejected_reason = t.RejectedReason ?? "NONE",
            components = new object[] { new { type = "BODY", text = t.Body } },
        }).ToList();
        var more = start + size < ordered.Count;
        var cursor = (start + size).ToString();
        return Results.Json(new
        {
            data = page,
            paging = more
                ? (object)new { cursors = new { before = start.ToString(), after = cursor },
                    next = new Uri(BaseUrl, $"{version}/{waba}/message_templates?limit={size}&after={cursor}").ToString() }
                : new { cursors = new { before = start.ToString(), after = cursor } },
        });
    }

    /// <summary>The download URL: with the same bearer token, before it expires.</summary>
    private IResult WhatsAppMediaDownload(string mediaId, long expires, HttpRequest request)
    {
        if (!HasBearer(request)) return GraphError(401, 190, "Access token has expired", "Error validating access token");
        if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() > expires || !Media.TryGetValue(mediaId, out var media))
            return Results.NotFound();
        Interlocked.Increment(ref MediaDownloads);
        return Results.Bytes(media.Bytes, media.MimeType);
    }

    private static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ") && auth.Length > 7;

    private async Task<IResult> WhatsAppSend(string version, string phoneNumberId, HttpRequest request)
    {
        Interlocked.Increment(ref SendRequests);
        var key = request.Headers["Idempotency-Key"].FirstOrDefault();
        if (key is not null && _idempotent.TryGetValue(key, out var earlier)) return Results.Text(earlier, "application/json");
        if (await Injected() is { } injected) return injected;
        if (request.Headers.Authorization.FirstOrDefault() is not { } auth || !auth.StartsWith("Bearer ") || auth.Length <= 7)
            return GraphError(401, 190, "Access token has expired", "Error validating access token");
        JsonNode? body;
        try { body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync()); }
        catch (JsonException) { return GraphError(400, 100, "Invalid parameter", "Request body is not JSON"); }
        if (body?["status"]?.GetValue<string>() == "read")
        {
            // Marking a received message read: no recipient, no type; an id WhatsApp never gave is refused.
            if (body["messaging_product"]?.GetValue<string>() != "whatsapp"
                || body["message_id"]?.GetValue<string>() is not { } read || !read.StartsWith("wamid."))
                return GraphError(400, 100, "Invalid parameter", "message_id must be the id of a received message");
            ReadReceipts.Enqueue(read);
            return Results.Json(new { success = true });
        }
        var to = (body?["to"]?.GetValue<string>() ?? body?["recipient"]?.GetValue<string>() ?? "").TrimStart('+');
        var type = body?["type"]?.GetValue<string>() ?? "";
        if (body?["messaging_product"]?.GetValue<string>() != "whatsapp" || to.Length == 0 || type.Length == 0)
            return GraphError(400, 100, "Invalid parameter", "messaging_product, to and type are required");
        if (type == "text" && (body?["text"]?["body"]?.GetValue<string>()?.Length ?? 0) > 4096)
            return GraphError(400, 100, "Invalid parameter", "Param text['body'] must be at most 4096 characters long.");
        if (type is "image" or "video" or "audio" or "document" or "sticker"
            && body?[type]?["id"]?.GetValue<string>() is { } mediaId)
        {
            if (!Uploads.TryGetValue(mediaId, out var upload) || upload.Provider != "whatsapp" || upload.Owner != phoneNumberId)
                return GraphError(400, 131053, "Media upload error", $"Media id {mediaId} was not uploaded by this phone number");
            if (upload.Kind != type)
                return GraphError(400, 100, "Invalid parameter", $"Media {mediaId} is a {upload.Kind}, not a {type}");
        }
        var second = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (_rate.AddOrUpdate((phoneNumberId, second), 1, (_, n) => n + 1) > RatePerSecond)
            return GraphError(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached.");
        if (Unreachable.GetValueOrDefault(to))
            return GraphError(400, 131026, "Message undeliverable", "Unable to deliver message: the recipient is not on WhatsApp or cannot receive it.");
        if (ClosedWindow.GetValueOrDefault(to) && type != "template")
            return GraphError(400, 131047, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number.");

        var wamid = "wamid.FAKE" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
        var response = Json(new { messaging_product = "whatsapp", contacts = new[] { new { input = to, wa_id = to } }, messages = new[] { new { id = wamid } } });
        if (key is not null && !_idempotent.TryAdd(key, response)) return Results.Text(_idempotent[key], "application/json");
        Sent.Enqueue(new SentMessage("whatsapp", phoneNumberId, to, type, body!.ToJsonString(), key, wamid));
        foreach (var s in new[] { "sent", "delivered", "read" }) _statuses.Enqueue((s, wamid, to, null, phoneNumberId));
        return Results.Text(response, "application/json");
    }

    private async Task<IResult> WeChatToken(string? grant_type, string? appid, string? secret)
    {
        Interlocked.Increment(ref TokenFetches);
        var inFlight = Interlocked.Increment(ref _fetchesInFlight);
        try
        {
            lock (_validTokens) MaxConcurrentTokenFetches = Math.Max(MaxConcurrentTokenFetches, inFlight);
            if (TokenFetchDelay > TimeSpan.Zero) await Task.Delay(TokenFetchDelay);
            if (grant_type != "client_credential" || string.IsNullOrEmpty(appid)) return Results.Text(Json(new { errcode = 40013, errmsg = "invalid appid" }), "application/json");
            if (string.IsNullOrEmpty(secret)) return Results.Text(Json(new { errcode = 40001, errmsg = "invalid credential" }), "application/json");
            var token = $"TOKEN_{Interlocked.Increment(ref _tokenCounter)}_{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}";
            // A new fetch invalidates the previous token (WeChat keeps it usable briefly; here it ends at once).
            lock (_validTokens) { _validTokens.Clear(); _validTokens.Add(token); }
            return Results.Text(Json(new { access_token = token, expires_in = 7200 }), "application/json");
        }
        finally { Interlocked.Decrement(ref _fetchesInFlight); }
    }

    private async Task<IResult> WeChatSend(string? access_token, HttpRequest request)
    {
        Interlocked.Increment(ref SendRequests);
        if (await Injected() is { } injected) return injected;
        bool valid;
        lock (_validTokens) valid = access_token is not null && _validTokens.Contains(access_token);
        if (!valid) return WeChatError(40001, "invalid credential, access_token is invalid or not latest");
        JsonNode? body;
        try { body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync()); }
        catch (JsonException) { return WeChatError(47001, "data format error"); }
        var to = body?["touser"]?.GetValue<string>() ?? "";
        var type = body?["msgtype"]?.GetValue<string>() ?? "";
        if (to.Length == 0 || type.Length == 0) return WeChatError(44002, "empty post data");
        if (type is "image" or "voice" or "video"
            && (body?[type]?["media_id"]?.GetValue<string>() is not { } mediaId
                || !Uploads.TryGetValue(mediaId, out var upload) || upload.Provider != "wechat" || upload.Kind != type))
            return WeChatError(40007, "invalid media_id");
        if (Unreachable.GetValueOrDefault(to)) return WeChatError(40003, "invalid openid");
        if (ClosedWindow.GetValueOrDefault(to)) return WeChatError(45015, "response out of time limit or subscription is canceled");
        if (_weChatWindowSends.AddOrUpdate(to, 1, (_, n) => n + 1) > WeChatWindowQuota) return WeChatError(45047, "out of response count limit");
        Sent.Enqueue(new SentMessage("wechat", "", to, type, body!.ToJsonString(), null, null));
        return WeChatError(0, "ok");
    }

    /// <summary>
    /// WeChat's user info (<c>GET /cgi-bin/user/info?access_token&amp;openid&amp;lang</c>): a follower's openid, subscribe
    /// 1, language and subscribe time; subscribe 0 and the openid only for one who does not follow; 40001 for a token
    /// that is not the latest, 40003 for an openid that is missing or not this account's, 40005 for a lang other than zh_CN, zh_TW, en.
    /// </summary>
    private async Task<IResult> WeChatUserInfo(string? access_token, string? openid, string? lang)
    {
        Interlocked.Increment(ref UserInfoRequests);
        if (await Injected() is { } injected) return injected;
        bool valid;
        lock (_validTokens) valid = access_token is not null && _validTokens.Contains(access_token);
        if (!valid) return WeChatError(40001, "invalid credential, access_token is invalid or not latest");
        if (string.IsNullOrEmpty(openid) || Unreachable.GetValueOrDefault(openid)) return WeChatError(40003, "invalid openid");
        if (lang is not (null or "zh_CN" or "zh_TW" or "en")) return WeChatError(40005, "invalid lang");
        return Followers.TryGetValue(openid, out var language)
            ? Results.Json(new { subscribe = 1, openid, language, subscribe_time = 1_700_000_000, remark = "", tagid_list = Array.Empty<int>() })
            : Results.Json(new { subscribe = 0, openid });
    }

    /// <summary>WeChat's temporary media (kept three days): the bytes with their type, or an errcode as JSON.</summary>
    private IResult WeChatMedia(string? access_token, string? media_id)
    {
        bool valid;
        lock (_validTokens) valid = access_token is not null && _validTokens.Contains(access_token);
        if (!valid) return WeChatError(40001, "invalid credential, access_token is invalid or not latest");
        if (media_id is null || !Media.TryGetValue(media_id, out var media)) return WeChatError(40007, "invalid media_id");
        Interlocked.Increment(ref MediaDownloads);
        return Results.File(media.Bytes, media.MimeType, $"{media_id}.{media.MimeType.Split('/')[1]}");
    }

    /// <summary>The customer wrote again: WeChat's per-message quota starts over.</summary>
    public void CustomerWrote(string openId) => _weChatWindowSends.TryRemove(openId, out _);

    private async Task<IResult?> Injected()
    {
        if (Interlocked.Decrement(ref _stalls) >= 0) await Task.Delay(_stallFor);
        lock (_failLock)
            if (_failures.TryDequeue(out var f)) return Results.Text(f.Body, "application/json", statusCode: f.Status);
        return null;
    }

    /// <summary>Posts the queued status webhooks (signed like Meta's) to <see cref="StatusWebhookUrl"/>; returns how many were posted.</summary>
    public async Task<int> DeliverStatusesAsync()
    {
        if (StatusWebhookUrl is null) return 0;
        var batch = new List<(string Status, string Wamid, string Recipient, string? Errors, string PhoneNumberId)>();
        while (_statuses.TryDequeue(out var s)) batch.Add(s);
        if (StatusChaos && batch.Count > 0)
        {
            batch = batch.OrderBy(_ => _chaos.Next()).ToList();
            batch.Add(batch[_chaos.Next(batch.Count)]);
        }
        using var own = new HttpClient();
        var client = StatusClient ?? own;
        foreach (var (status, wamid, recipient, errors, phoneNumberId) in batch)
        {
            var statusJson = $$"""{"id":"{{wamid}}","status":"{{status}}","timestamp":"{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}","recipient_id":"{{recipient}}"{{(errors is null ? "" : ",\"errors\":" + errors)}}}""";
            var payload = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"phone_number_id\":\"" + phoneNumberId + "\"},\"statuses\":[" + statusJson + "]}}]}]}";
            var bytes = Encoding.UTF8.GetBytes(payload);
            var request = new HttpRequestMessage(HttpMethod.Post, StatusWebhookUrl) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(StatusWebhookSecret ?? ""), bytes)));
            using var response = await client.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"The engine refused a status webhook: {(int)response.StatusCode}");
        }
        return batch.Count;
    }

    private static IResult GraphError(int http, int code, string title, string details) =>
        Results.Text(Json(new { error = new { message = $"(#{code}) {title}", type = "OAuthException", code, error_data = new { messaging_product = "whatsapp", details }, fbtrace_id = "Afake" } }),
            "application/json", statusCode: http);

    private static IResult WeChatError(int code, string message) => Results.Text(Json(new { errcode = code, errmsg = message }), "application/json");

    private static string Json(object o) => JsonSerializer.Serialize(o);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record FailRequest(int Count, int Status, int Code, string Message, bool WeChat);
    private sealed record StallRequest(int Count, int Milliseconds);
    private sealed record RecipientRequest(bool WindowClosed, bool Unreachable);
    private sealed record WebhookRequest(string Url, string AppSecret, bool Chaos);
}
