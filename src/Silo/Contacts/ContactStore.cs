using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Queries;
using Npgsql;

namespace Engine.Silo.Contacts;

public sealed record ContactChange(string? Name, string? Language, bool? Vip, Guid? DedicatedAgentId, bool ClearDedicatedAgent);

/// <summary>Changes to a contact's profile that routing uses: VIP flag (jumps the queue), dedicated agent, language.</summary>
public sealed class ContactStore(NpgsqlDataSource db, TimeProvider clock, ConversationQueries queries)
{
    public async Task<ContactView?> UpdateAsync(Actor actor, Guid id, ContactChange c, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = (await Sql.QueryAsync(conn, tx, "select name, language, vip, dedicated_agent_id from contacts where id = @id and business_id = @b for update",
            r => new { Name = r.NullableString(0), Language = r.NullableString(1), Vip = r.GetBoolean(2), DedicatedAgentId = r.NullableGuid(3) },
            ct, ("id", id), ("b", actor.BusinessId))).SingleOrDefault();
        if (before is null) return null;
        await Sql.ExecAsync(conn, tx, """
            update contacts set name = coalesce(@n, name), language = coalesce(@l, language), vip = coalesce(@v, vip),
                   dedicated_agent_id = case when @clear then null else coalesce(@d, dedicated_agent_id) end,
                   updated_at = @now, version = version + 1
             where id = @id
            """, ct, ("n", c.Name), ("l", c.Language), ("v", c.Vip), ("d", c.DedicatedAgentId), ("clear", c.ClearDedicatedAgent), ("now", now), ("id", id));
        // A VIP's waiting conversations move to the front of their queue.
        if (c.Vip is { } vip)
            await Sql.ExecAsync(conn, tx, "update conversations set priority = @p, updated_at = @now, version = version + 1 where contact_id = @id and status = 'open' and priority <> @p",
                ct, ("p", vip ? 1 : 0), ("now", now), ("id", id));
        await AuditLog.WriteAsync(conn, tx, actor, "contact.updated", "contact", id, before, c, now, ct);
        await tx.CommitAsync(ct);
        return await queries.ContactAsync(actor.BusinessId, id, ct);
    }
}
