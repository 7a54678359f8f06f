using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Team;

public sealed record SettingsRequest(string? Name, string? TimeZone, int? LockMinutes, int? IdleReleaseMinutes, int? StickyHours,
    bool? AutoMergeVerifiedPhone = null, int? InactiveAfterHours = null, int? BotQuietMinutes = null,
    int? MessageRetentionDays = null, long? MediaMaxBytes = null, bool? AgentsStartConversations = null);

/// <summary>The business's settings: name, time zone, lock length (5–15 minutes), idle release, sticky-ownership window, the hours of customer silence after the agent spoke last before a conversation is resolved as inactive (24), the contact matching rule (merge contacts that share a verified phone), and how many days message bodies and media
/// are kept (<c>messageRetentionDays</c>, 1–3650; 0 keeps them, the default), applied by the daily check, and the largest
/// customer attachment stored (<c>mediaMaxBytes</c>, 100 MB by default, at most 1 GB); whether agents may start
/// conversations (<c>agentsStartConversations</c>; editors and administrators always may).</summary>
public static class SettingsApi
{
    public static void MapSettings(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/settings").WithTags("Team");
        group.MapGet("/", Get).RequireAuthorization(Permissions.ReadTeam);
        group.MapPatch("/", Update).RequireAuthorization(Permissions.ManageSettings);
    }

    private static async Task<Ok<BusinessSettingsView>> Get(HttpContext http, BusinessSettingsStore settings,
        CancellationToken ct) =>
        TypedResults.Ok(await settings.GetAsync(http.User.BusinessId(), ct));

    private static async Task<Results<Ok<BusinessSettingsView>, ValidationProblem>> Update(SettingsRequest r, HttpContext http,
        BusinessSettingsStore settings, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.LockMinutes is null or (>= 5 and <= 15), "lockMinutes", "Between 5 and 15 minutes.")
            .Require(r.IdleReleaseMinutes is null or (>= 1 and <= 60), "idleReleaseMinutes", "Between 1 and 60 minutes.")
            .Require(r.StickyHours is null or (>= 0 and <= 720), "stickyHours", "Between 0 and 720 hours.")
            .Require(r.InactiveAfterHours is null or (>= 1 and <= 720), "inactiveAfterHours", "Between 1 and 720 hours.")
            .Require(r.BotQuietMinutes is null or (>= 5 and <= 1440), "botQuietMinutes", "Between 5 and 1440 minutes.")
            .Require(r.MessageRetentionDays is null or 0 or (>= 1 and <= 3650), "messageRetentionDays",
                "Between 1 and 3650 days, or 0 to keep message bodies.")
            .Require(r.MediaMaxBytes is null or (>= 1 and <= 1_073_741_824), "mediaMaxBytes", "Between 1 byte and 1 GB.")
            .Require(r.Name is null || r.Name.Trim().Length is > 0 and <= 100, "name", "At most 100 characters.")
            .Require(r.TimeZone is null || TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out _), "timeZone", "An IANA time zone such as Asia/Bangkok.");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await settings.UpdateAsync(http.User.Actor(), before => before with
        {
            Name = r.Name?.Trim() ?? before.Name, TimeZone = r.TimeZone ?? before.TimeZone, LockMinutes = r.LockMinutes ?? before.LockMinutes,
            IdleReleaseMinutes = r.IdleReleaseMinutes ?? before.IdleReleaseMinutes, StickyHours = r.StickyHours ?? before.StickyHours,
            AutoMergeVerifiedPhone = r.AutoMergeVerifiedPhone ?? before.AutoMergeVerifiedPhone,
            InactiveAfterHours = r.InactiveAfterHours ?? before.InactiveAfterHours,
            BotQuietMinutes = r.BotQuietMinutes ?? before.BotQuietMinutes,
            MessageRetentionDays = r.MessageRetentionDays switch { null => before.MessageRetentionDays, 0 => null, var d => d },
            MediaMaxBytes = r.MediaMaxBytes ?? before.MediaMaxBytes,
            AgentsStartConversations = r.AgentsStartConversations ?? before.AgentsStartConversations,
        }, ct));
    }
}
