using System.Collections.Immutable;
using System.Text.Json;
using Engine.Grains.Conversations;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Alerts;
using Engine.Silo.Assignment;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Conversations;

/// <summary>Loads conversation grains' state and writes it back fenced by version.</summary>
public static class ConversationStore
{
    public const string EntityType = "conversation";

    // Every persisted field of the grain, in the order Read expects.
    private static readonly string[] Fields =
    [
        "id", "business_id", "channel_id", "contact_id", "status", "opened_at", "resolved_at", "last_inbound_at",
        "last_message_at", "window_closes_at", "unread_count", "message_count", "window_sends", "updated_at", "version",
        "team_id", "assignee_id", "priority", "queued_at", "required_tier", "assigned_at", "first_human_reply_at",
        "lock_holder", "lock_until", "lock_last_action_at", "handovers", "released_from", "bot_outcome", "bot_replies",
        "awaiting_since", "handed_over_at", "deadlines", "next_deadline_at", "converted_at", "resolution",
        "first_response_s",
    ];
    private static readonly string Columns = string.Join(", ", Fields);

    /// <summary>The conversation's state as its grain's turn decides on it; the write back is fenced by the version read
    /// here (no row lock: the grain runs one turn at a time, and a write from elsewhere makes the fence fail and the
    /// turn's transaction run again).</summary>
    public static async Task<ConversationState?> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id,
        CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, $"select {Columns} from conversations where id = @id", Read, ct, ("id", id)))
            .SingleOrDefault();

    /// <summary>The open conversation of each contact (contacts are per channel), fenced like <see
    /// cref="LoadAsync"/>.</summary>
    public static async Task<Dictionary<Guid, ConversationState>> LoadOpenByContactsAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Guid[] contactIds, CancellationToken ct)
    {
        var rows = await Sql.QueryAsync(conn, tx,
            $"select {Columns} from conversations where contact_id = any(@ids) and status = 'open'",
            Read, ct, ("ids", contactIds));
        return rows.ToDictionary(r => r.ContactId);
    }

    /// <summary>
    /// Adds the writes for these decisions' states with their deadlines: the decisions' timer intents applied, and the
    /// alert and queue checks their events arm (<see cref="AlertWatch"/>, <see cref="QueueWatch"/>); alerts that their events end are cleared in the same
    /// batch. Returns the states written and a check to run after the batch.
    /// </summary>
    public static async Task<(Action Check, IReadOnlyList<ConversationState> States)> SaveAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, NpgsqlBatch batch,
        IReadOnlyCollection<Decision<ConversationState>> decisions, DateTimeOffset now, CancellationToken ct)
    {
        var arming = decisions.Where(AlertWatch.Arms).Select(d => d.State).ToList();
        var thresholds = await AlertWatch.ThresholdsAsync(conn, tx, arming.Select(s => s.BusinessId).Distinct().ToArray(),
            arming.Select(s => s.TeamId).OfType<Guid>().Distinct().ToArray(), ct);
        var states = decisions.Select(d => QueueWatch.Arm(AlertWatch.Arm(
            ConversationDeadlines.Apply(d.State, d.Timers), d.Events, thresholds), d.Events, thresholds)).ToList();
        AlertWatch.AppendClears(batch, decisions, now);
        return (Save(batch, states), states);
    }

    /// <summary>
    /// Adds the writes for these states: new grains (version 0) are inserted, the others updated only
    /// where the stored version is still the one loaded. Returns a check to run after the batch.
    /// </summary>
    public static Action Save(NpgsqlBatch batch, IReadOnlyCollection<ConversationState> states)
    {
        var inserts = states.Where(s => s.Version == 0).ToList();
        var updates = states.Where(s => s.Version > 0).ToList();
        var unnest = $"unnest({string.Join(", ", Fields.Select(f => "@" + f))}) as u({Columns})";
        if (inserts.Count > 0) batch.BatchCommands.Add(Write(inserts, $"""
            insert into conversations ({Columns}, created_at)
            select {string.Join(", ", Fields.Select(f => f == "version" ? "1" : "u." + f))}, u.opened_at from {unnest}
            """));
        NpgsqlBatchCommand? update = null;
        if (updates.Count > 0) batch.BatchCommands.Add(update = Write(updates, $"""
            update conversations c set {string.Join(", ", Fields.Where(f => f is not ("id" or "business_id" or "channel_id" or "contact_id" or "opened_at" or "version")).Select(f => $"{f} = u.{f}"))},
                   version = c.version + 1
              from {unnest}
             where c.id = u.id and c.version = u.version
            """));
        return () =>
        {
            if (update is not null && update.RecordsAffected != updates.Count)
                throw new VersionConflictException(EntityType);
        };
    }

    private static NpgsqlBatchCommand Write(List<ConversationState> s, string sql)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter("id", s.Select(x => x.Id).ToArray()));
        p.Add(new NpgsqlParameter("business_id", s.Select(x => x.BusinessId).ToArray()));
        p.Add(new NpgsqlParameter("channel_id", s.Select(x => x.ChannelId).ToArray()));
        p.Add(new NpgsqlParameter("contact_id", s.Select(x => x.ContactId).ToArray()));
        p.Add(new NpgsqlParameter("status", s.Select(x => StatusText(x.Status)).ToArray()));
        p.Add(new NpgsqlParameter("opened_at", s.Select(x => x.OpenedAt).ToArray()));
        p.Add(Times("resolved_at", s.Select(x => x.ResolvedAt)));
        p.Add(Times("last_inbound_at", s.Select(x => x.LastInboundAt)));
        p.Add(Times("last_message_at", s.Select(x => x.LastMessageAt)));
        p.Add(Times("window_closes_at", s.Select(x => x.WindowClosesAt)));
        p.Add(new NpgsqlParameter("unread_count", s.Select(x => x.UnreadCount).ToArray()));
        p.Add(new NpgsqlParameter("message_count", s.Select(x => x.MessageCount).ToArray()));
        p.Add(new NpgsqlParameter("window_sends", s.Select(x => x.WindowSends).ToArray()));
        p.Add(new NpgsqlParameter("updated_at", s.Select(x => x.UpdatedAt).ToArray()));
        p.Add(new NpgsqlParameter("version", s.Select(x => x.Version).ToArray()));
        p.Add(Guids("team_id", s.Select(x => x.TeamId)));
        p.Add(Guids("assignee_id", s.Select(x => x.AssigneeId)));
        p.Add(new NpgsqlParameter("priority", s.Select(x => x.Priority).ToArray()));
        p.Add(Times("queued_at", s.Select(x => x.QueuedAt)));
        p.Add(new NpgsqlParameter("required_tier", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = s.Select(x => (object?)x.RequiredTier ?? DBNull.Value).ToArray() });
        p.Add(Times("assigned_at", s.Select(x => x.AssignedAt)));
        p.Add(Times("first_human_reply_at", s.Select(x => x.FirstHumanReplyAt)));
        p.Add(Guids("lock_holder", s.Select(x => x.LockHolder)));
        p.Add(Times("lock_until", s.Select(x => x.LockUntil)));
        p.Add(Times("lock_last_action_at", s.Select(x => x.LockLastActionAt)));
        p.Add(new NpgsqlParameter("handovers", s.Select(x => x.Handovers).ToArray()));
        p.Add(Guids("released_from", s.Select(x => x.ReleasedFrom)));
        p.Add(new NpgsqlParameter("bot_outcome", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = s.Select(x => (object?)x.BotOutcome ?? DBNull.Value).ToArray() });
        p.Add(new NpgsqlParameter("bot_replies", s.Select(x => x.BotReplies).ToArray()));
        p.Add(Times("awaiting_since", s.Select(x => x.AwaitingSince)));
        p.Add(Times("handed_over_at", s.Select(x => x.HandedOverAt)));
        p.Add(new NpgsqlParameter("deadlines", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            { Value = s.Select(x => JsonSerializer.Serialize(x.Deadlines)).ToArray() });
        p.Add(Times("next_deadline_at", s.Select(x => DeadlinePlan.Next(x.Deadlines))));
        p.Add(Times("converted_at", s.Select(x => x.ConvertedAt)));
        p.Add(new NpgsqlParameter("resolution", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { Value = s.Select(x => (object?)x.Resolution ?? DBNull.Value).ToArray() });
        p.Add(new NpgsqlParameter("first_response_s", NpgsqlDbType.Array | NpgsqlDbType.Double)
            { Value = s.Select(x => (object?)x.FirstResponseSeconds ?? DBNull.Value).ToArray() });
        return cmd;
    }

    private static NpgsqlParameter Times(string name, IEnumerable<DateTimeOffset?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = values.Select(v => v is { } t ? (object)t : DBNull.Value).ToArray() };

    private static NpgsqlParameter Guids(string name, IEnumerable<Guid?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.Select(v => v is { } g ? (object)g : DBNull.Value).ToArray() };

    public static string StatusText(ConversationStatus s) => s == ConversationStatus.Open ? "open" : "resolved";

    private static ConversationState Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetGuid(3),
        r.GetString(4) == "open" ? ConversationStatus.Open : ConversationStatus.Resolved,
        r.Time(5), r.NullableTime(6), r.NullableTime(7), r.NullableTime(8), r.NullableTime(9),
        r.GetInt32(10), r.GetInt32(11), r.GetInt32(12), r.Time(13), r.GetInt64(14),
        r.NullableGuid(15), r.NullableGuid(16), r.GetInt32(17), r.NullableTime(18), r.NullableString(19), r.NullableTime(20),
        r.NullableTime(21), r.NullableGuid(22), r.NullableTime(23), r.NullableTime(24), r.GetInt32(25), r.NullableGuid(26), r.NullableString(27), r.GetInt32(28),
        r.NullableTime(29), r.NullableTime(30))
    {
        Deadlines = JsonSerializer.Deserialize<Dictionary<string, DateTimeOffset>>(r.GetString(31))!
            .ToImmutableSortedDictionary(),
        ConvertedAt = r.NullableTime(33),
        Resolution = r.NullableString(34),
        FirstResponseSeconds = r.IsDBNull(35) ? null : r.GetDouble(35),
    };
}
