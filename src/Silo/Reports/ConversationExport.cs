using System.Globalization;
using System.Text;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Reports;

/// <summary>Per-conversation data as CSV (RFC 4180), for spreadsheets and BI tools.</summary>
public sealed class ConversationExport(NpgsqlDataSource db)
{
    public static readonly string[] Header =
    [
        "conversation_id", "channel", "contact", "status", "opened_at", "first_human_reply_at", "resolved_at", "first_response_seconds",
        "resolution_seconds", "team", "agent", "handovers", "bot_outcome", "bot_replies", "labels", "csat_rating", "converted",
    ];

    public async Task WriteCsvAsync(Guid business, DateTimeOffset from, DateTimeOffset to, TextWriter output, CancellationToken ct)
    {
        await output.WriteLineAsync(string.Join(",", Header));
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(conn, null, """
            select v.id, ch.name, coalesce(p.name, p.external_id), v.status, v.opened_at, v.first_human_reply_at, v.resolved_at,
                   coalesce(v.first_response_s, extract(epoch from v.first_human_reply_at - coalesce(v.handed_over_at, v.opened_at))::float8), extract(epoch from v.resolved_at - v.opened_at)::float8,
                   t.name, u.name, v.handovers, v.bot_outcome, v.bot_replies, array_to_string(v.labels, '; '), q.rating,
                   v.converted_at is not null
              from conversations v join channels ch on ch.id = v.channel_id join contacts p on p.id = v.contact_id
              left join teams t on t.id = v.team_id left join users u on u.id = v.assignee_id left join csat_requests q on q.conversation_id = v.id
             where v.business_id = @b and v.opened_at >= @f and v.opened_at < @t order by v.opened_at, v.id
            """, ("b", business), ("f", from), ("t", to));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var cells = new string[Header.Length];
            for (var i = 0; i < cells.Length; i++) cells[i] = Cell(r, i);
            await output.WriteLineAsync(string.Join(",", cells));
        }
    }

    private static string Cell(NpgsqlDataReader r, int i)
    {
        if (r.IsDBNull(i)) return "";
        var value = r.GetValue(i) switch
        {
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture),
            double x => Math.Round(x, 1).ToString(CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var o => o.ToString() ?? "",
        };
        return Csv.Field(value, r.GetFieldType(i) == typeof(string));
    }
}
