using Engine.Grains.Customers;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>The sends a recipient received, and the automated messages a customer received on any of its merged
/// identities, as the messages table records them (read by the customer grain).</summary>
public sealed class RecipientHistory(NpgsqlDataSource db) : IRecipientHistory, IAutomatedHistory
{
    public async Task<IReadOnlyList<DateTimeOffset>> AutomatedSinceAsync(Guid customer, DateTimeOffset since, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            select m.created_at from messages m
             where m.contact_id in (select id from contacts where id = @c or merged_into = @c)
               and m.author_id = 'bot' and m.created_at > @since
            """, r => r.Time(0), ct, ("c", customer), ("since", since));
    }

    public async Task<IReadOnlyList<DateTimeOffset>> AcceptedSendsSinceAsync(Guid contactId, DateTimeOffset since,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null,
            "select accepted_at from messages where contact_id = @c and direction = 'out' and accepted_at > @since",
            r => r.Time(0), ct, ("c", contactId), ("since", since));
    }
}
