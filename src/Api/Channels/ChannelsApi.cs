using System.Text.RegularExpressions;
using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Channels;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Channels;

/// <summary>Fields of a channel an administrator sets. On update every field is optional; secrets are write-only.</summary>
public sealed record ChannelRequest(
    string? Kind, string? Name,
    string? PhoneNumberId, string? DisplayPhoneNumber, string? AppSecret, string? VerifyToken, string? AccessToken,
    string? AppId, string? Token, string? EncodingAesKey,
    string? ApiBaseUrl, string? ApiVersion, int? ResponseWindowHours,
    string? OutsideWindowPolicy = null, int? RateLimitPerSecond = null, int? WindowQuota = null, bool? ReadReceipts = null,
    string? BusinessAccountId = null);

/// <summary>Which secrets are set; their values are never returned.</summary>
public sealed record SecretsSet(bool AppSecret, bool VerifyToken, bool AccessToken, bool Token, bool EncodingAesKey);

public sealed record ChannelResponse(
    Guid Id, string Kind, string Name, bool Enabled,
    string? PhoneNumberId, string? DisplayPhoneNumber, string? AppId,
    string ApiBaseUrl, string? ApiVersion, int ResponseWindowHours,
    string OutsideWindowPolicy, int RateLimitPerSecond, int WindowQuota, bool ReadReceipts, string? BusinessAccountId,
    SecretsSet Secrets, string WebhookPath, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version)
{
    public static ChannelResponse From(Channel c) => new(
        c.Id, c.Kind, c.Name, c.Enabled, c.Settings.PhoneNumberId, c.Settings.DisplayPhoneNumber, c.Settings.AppId,
        c.Settings.ApiBaseUrl, c.Settings.ApiVersion, c.Settings.ResponseWindowHours,
        c.OutsideWindowPolicy, c.RateLimitPerSecond, c.WindowQuota, c.Settings.ReadReceipts, c.Settings.BusinessAccountId,
        new SecretsSet(Has(c.Secrets.AppSecret), Has(c.Secrets.VerifyToken), Has(c.Secrets.AccessToken), Has(c.Secrets.Token), Has(c.Secrets.EncodingAesKey)),
        $"/webhooks/{c.Kind}/{c.Id}", c.CreatedAt, c.UpdatedAt, c.Version);

    private static bool Has(string? s) => !string.IsNullOrEmpty(s);
}

/// <summary>Channels (a WhatsApp number or a WeChat service account): managed by Administrators, listed to everyone who
/// works conversations.</summary>
public static class ChannelsApi
{
    public static void MapChannels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/channels").WithTags("Channels").RequireAuthorization(Permissions.ManageSettings);
        group.MapPost("/", Create).WithSummary("Create a WhatsApp or WeChat channel.");
        // Everyone who works conversations sees which channels there are (to filter by, to start a conversation from).
        app.MapGet("/api/v1/channels/", List).WithTags("Channels").RequireAuthorization(Permissions.ReadConversations)
            .WithSummary("List the business's channels (secrets are never returned).");
        group.MapGet("/{id:guid}", Get);
        group.MapPatch("/{id:guid}", Update).WithSummary("Change settings or rotate secrets; a new EncodingAESKey keeps the previous one for decryption.");
        group.MapPost("/{id:guid}/disable", (Guid id, HttpContext http, ChannelStore s, CancellationToken ct) => SetEnabled(id, false, http, s, ct))
            .WithSummary("Disable: webhooks for it are refused (404) from then on.");
        group.MapPost("/{id:guid}/enable", (Guid id, HttpContext http, ChannelStore s, CancellationToken ct) => SetEnabled(id, true, http, s, ct));
    }

    private static async Task<Results<Created<ChannelResponse>, ValidationProblem, ProblemHttpResult>> Create(
        ChannelRequest req, HttpContext http, ChannelStore store, CancellationToken ct)
    {
        var kind = req.Kind?.ToLowerInvariant();
        if (kind is not (ChannelKinds.WhatsApp or ChannelKinds.WeChat))
            return Problems.Invalid("kind", "Must be 'whatsapp' or 'wechat'.");
        var draft = Merge(new Channel(Guid.Empty, Guid.Empty, kind, "", true, Channel.DefaultSettings(kind),
            new ChannelSecrets(null, null, null, null, null, null), default, default, 0), req);
        var check = Validate(draft);
        if (!check.IsValid) return check.Problem();
        var created = await store.CreateAsync(http.User.Actor(), kind, draft.Name, draft.Settings, draft.Secrets, ct);
        return TypedResults.Created($"/api/v1/channels/{created.Id}", ChannelResponse.From(created));
    }

    private static async Task<Ok<ChannelResponse[]>> List(HttpContext http, ChannelStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync(http.User.BusinessId(), ct)).Select(ChannelResponse.From).ToArray());

    private static async Task<Results<Ok<ChannelResponse>, ProblemHttpResult>> Get(Guid id, HttpContext http, ChannelStore store, CancellationToken ct) =>
        await store.GetAsync(http.User.BusinessId(), id, ct) is { } c ? TypedResults.Ok(ChannelResponse.From(c)) : Problems.NotFound("channel", id);

    private static async Task<Results<Ok<ChannelResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, ChannelRequest req, HttpContext http, ChannelStore store, CancellationToken ct)
    {
        if (req.Kind is not null) return Problems.Invalid("kind", "A channel's kind cannot change; create a new channel.");
        try
        {
            var updated = await store.UpdateAsync(http.User.Actor(), id, current =>
            {
                var next = Merge(current, req);
                var check = Validate(next);
                if (!check.IsValid) throw new InvalidChannel(check);
                return next;
            }, ct);
            return updated is null ? Problems.NotFound("channel", id) : TypedResults.Ok(ChannelResponse.From(updated));
        }
        catch (InvalidChannel e) { return e.Validation.Problem(); }
    }

    private static async Task<Results<Ok<ChannelResponse>, ProblemHttpResult>> SetEnabled(
        Guid id, bool enabled, HttpContext http, ChannelStore store, CancellationToken ct) =>
        await store.UpdateAsync(http.User.Actor(), id, c => c with { Enabled = enabled }, ct) is { } c
            ? TypedResults.Ok(ChannelResponse.From(c)) : Problems.NotFound("channel", id);

    /// <summary>Aborts the locked read-modify-write without writing.</summary>
    private sealed class InvalidChannel(Validation validation) : Exception("invalid channel")
    {
        public Validation Validation { get; } = validation;
    }

    private static Channel Merge(Channel c, ChannelRequest r)
    {
        var s = c.Settings;
        var x = c.Secrets;
        var newKey = r.EncodingAesKey is not null && r.EncodingAesKey != x.EncodingAesKey;
        return c with
        {
            Name = r.Name?.Trim() ?? c.Name,
            Settings = s with
            {
                PhoneNumberId = r.PhoneNumberId ?? s.PhoneNumberId,
                DisplayPhoneNumber = r.DisplayPhoneNumber ?? s.DisplayPhoneNumber,
                AppId = r.AppId ?? s.AppId,
                ApiBaseUrl = r.ApiBaseUrl?.TrimEnd('/') ?? s.ApiBaseUrl,
                ApiVersion = r.ApiVersion ?? s.ApiVersion,
                ResponseWindowHours = r.ResponseWindowHours ?? s.ResponseWindowHours,
                OutsideWindowPolicy = r.OutsideWindowPolicy ?? s.OutsideWindowPolicy,
                RateLimitPerSecond = r.RateLimitPerSecond ?? s.RateLimitPerSecond,
                WindowQuota = r.WindowQuota ?? s.WindowQuota,
                ReadReceipts = r.ReadReceipts ?? s.ReadReceipts,
                BusinessAccountId = r.BusinessAccountId ?? s.BusinessAccountId,
            },
            Secrets = x with
            {
                AppSecret = r.AppSecret ?? x.AppSecret,
                VerifyToken = r.VerifyToken ?? x.VerifyToken,
                AccessToken = r.AccessToken ?? x.AccessToken,
                Token = r.Token ?? x.Token,
                EncodingAesKey = r.EncodingAesKey ?? x.EncodingAesKey,
                PreviousEncodingAesKey = newKey ? x.EncodingAesKey : x.PreviousEncodingAesKey,
            },
        };
    }

    private static Validation Validate(Channel c)
    {
        var v = new Validation()
            .Require(!string.IsNullOrWhiteSpace(c.Name) && c.Name.Length <= 100, "name", "Required, at most 100 characters.")
            .Require(Uri.TryCreate(c.Settings.ApiBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "apiBaseUrl", "Must be an absolute http(s) URL.")
            .Require(c.Settings.ResponseWindowHours is >= 1 and <= 168, "responseWindowHours", "Between 1 and 168 hours.")
            .Require(c.Settings.OutsideWindowPolicy is null or "refuse" or "surcharge", "outsideWindowPolicy", "'refuse' or 'surcharge'.")
            .Require(c.Settings.RateLimitPerSecond is null or (>= 1 and <= 1000), "rateLimitPerSecond", "Between 1 and 1,000 messages per second.")
            .Require(c.Settings.WindowQuota is null or (>= 1 and <= 100), "windowQuota", "Between 1 and 100 messages per customer message.")
            .Require(!c.Settings.ReadReceipts || c.Kind == ChannelKinds.WhatsApp, "readReceipts", "Read receipts are WhatsApp's.")
            .Require(c.Settings.BusinessAccountId is null || (c.Kind == ChannelKinds.WhatsApp
                && Regex.IsMatch(c.Settings.BusinessAccountId, @"^\d{5,20}$")), "businessAccountId",
                "WhatsApp only: the numeric WhatsApp Business Account id (its message templates are synced from it).");
        if (c.Kind == ChannelKinds.WhatsApp)
            v.Require(c.Settings.PhoneNumberId is { } p && Regex.IsMatch(p, @"^\d{5,20}$"), "phoneNumberId", "Required: the numeric phone number id from Meta.")
             .Require(!string.IsNullOrEmpty(c.Secrets.AppSecret), "appSecret", "Required: the app secret signs every webhook.")
             .Require(!string.IsNullOrEmpty(c.Secrets.VerifyToken), "verifyToken", "Required for the verification handshake.")
             .Require(!string.IsNullOrEmpty(c.Secrets.AccessToken), "accessToken", "Required to send messages.")
             .Require(c.Settings.ApiVersion is { } ver && Regex.IsMatch(ver, @"^v\d+\.\d+$"), "apiVersion", "Like 'v24.0'.");
        else
            v.Require(!string.IsNullOrEmpty(c.Settings.AppId), "appId", "Required: the service account's AppID.")
             .Require(c.Secrets.Token is { } t && Regex.IsMatch(t, "^[A-Za-z0-9]{3,32}$"), "token", "Required: 3–32 letters or digits, as set in the WeChat console.")
             .Require(!string.IsNullOrEmpty(c.Secrets.AppSecret), "appSecret", "Required to obtain access tokens.")
             .Require(c.Secrets.EncodingAesKey is null || Regex.IsMatch(c.Secrets.EncodingAesKey, "^[A-Za-z0-9]{43}$"),
                 "encodingAesKey", "43 letters or digits (needed for compatible and secure modes).");
        return v;
    }
}
