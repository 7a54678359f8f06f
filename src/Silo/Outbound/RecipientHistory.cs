using Engine.Grains.Customers;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>The sends a recipient received, as the messages table records them (read when its customer grain
/// activates).</summary>
public sealed class RecipientHistory(NpgsqlDataSource db) : IRecipientHistory
{
    public async Task<IReadOnlyList<DateTimeOffset>> AcceptedSendsSinceAsync(Guid contactId, DateTimeOffset since,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null,
            "select accepted_at from messages where contact_id = @c and direction = 'out' and accepted_at > @since",
            r => r.Time(0), ct, ("c", contactId), ("since", since));
    }
}
