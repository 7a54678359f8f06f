using Engine.Grains.Interfaces.Conversations;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Team;

/// <summary>Per-business collaboration settings: lock length (5–15 min), idle release, sticky window, time zone.</summary>
public sealed record BusinessSettingsView(Guid Id, string Name, string TimeZone, int LockMinutes, int IdleReleaseMinutes, int StickyHours,
    DateTimeOffset UpdatedAt, long Version, bool AutoMergeVerifiedPhone = false, int InactiveAfterHours = 24, int BotQuietMinutes = 30,
    int? MessageRetentionDays = null, long MediaMaxBytes = 104_857_600, bool AgentsStartConversations = false);

public static class BusinessSettings
{
    public static async Task<LockPolicy> LockPolicyAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid businessId, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, "select lock_minutes, idle_release_minutes, inactive_after_hours from businesses where id = @b",
            r => new LockPolicy(TimeSpan.FromMinutes(r.GetInt32(0)), TimeSpan.FromMinutes(r.GetInt32(1)), TimeSpan.FromHours(r.GetInt32(2))),
            ct, ("b", businessId)))
        .SingleOrDefault() ?? LockPolicy.Default;

    public static async Task<BusinessSettingsView?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid businessId, CancellationToken ct, bool forUpdate = false) =>
        (await Sql.QueryAsync(conn, tx, $"""
            select id, name, time_zone, lock_minutes, idle_release_minutes, sticky_hours, updated_at, version, auto_merge_verified_phone,
                   inactive_after_hours, bot_quiet_minutes, message_retention_days, media_max_bytes,
                   agents_start_conversations
              from businesses where id = @b {(forUpdate ? "for update" : "")}
            """, r => new BusinessSettingsView(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.Time(6), r.GetInt64(7), r.GetBoolean(8),
                r.GetInt32(9), r.GetInt32(10), r.IsDBNull(11) ? null : r.GetInt32(11),
                r.GetInt64(12), r.GetBoolean(13)),
            ct, ("b", businessId))).SingleOrDefault();

    public static Task SaveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, BusinessSettingsView s, DateTimeOffset now, CancellationToken ct) =>
        Sql.ExecAsync(conn, tx, """
            update businesses set name = @n, time_zone = @tz, lock_minutes = @l, idle_release_minutes = @i, sticky_hours = @s,
                   auto_merge_verified_phone = @m, inactive_after_hours = @ia, bot_quiet_minutes = @bq, message_retention_days = @rd, media_max_bytes = @mm,
                   agents_start_conversations = @asc, updated_at = @now, version = version + 1
             where id = @b
            """, ct, ("rd", s.MessageRetentionDays), ("mm", s.MediaMaxBytes), ("asc", s.AgentsStartConversations), ("n", s.Name), ("tz", s.TimeZone), ("l", s.LockMinutes), ("i", s.IdleReleaseMinutes), ("s", s.StickyHours),
            ("m", s.AutoMergeVerifiedPhone), ("ia", s.InactiveAfterHours), ("bq", s.BotQuietMinutes), ("now", now), ("b", s.Id));
}
