using Engine.Silo.Audit;
using Npgsql;

namespace Engine.Silo.Team;

/// <summary>Reads and changes a business's settings; a change is audited with its before and after, in one
/// transaction.</summary>
public sealed class BusinessSettingsStore(NpgsqlDataSource db, TimeProvider clock)
{
    public async Task<BusinessSettingsView> GetAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await BusinessSettings.GetAsync(conn, null, business, ct))!;
    }

    public async Task<BusinessSettingsView> UpdateAsync(
        Actor actor, Func<BusinessSettingsView, BusinessSettingsView> change, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = (await BusinessSettings.GetAsync(conn, tx, actor.BusinessId, ct, forUpdate: true))!;
        await BusinessSettings.SaveAsync(conn, tx, change(before), now, ct);
        var saved = (await BusinessSettings.GetAsync(conn, tx, before.Id, ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, "settings.updated", "business", before.Id, before, saved, now, ct);
        await tx.CommitAsync(ct);
        return saved;
    }
}
