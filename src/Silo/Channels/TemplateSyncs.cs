using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Channels;

/// <summary>The daily template sync of each WhatsApp channel with a business account id, queued by the business's daily
/// check and run through the outbox (a provider that fails is retried with back-off).</summary>
public sealed class TemplateSyncs(ChannelStore channels, TemplateCatalog catalog) : IOutboxHandler
{
    public const string Topic = "templates.sync";
    string IOutboxHandler.Topic => Topic;

    /// <summary>In the daily check's transaction: one sync per channel and day.</summary>
    public static Task QueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business, DateTimeOffset now,
        CancellationToken ct) =>
        Sql.ExecAsync(conn, tx, """
            insert into outbox (business_id, topic, idempotency_key, payload, due_at, created_at, updated_at)
            select c.business_id, @t, 'templates:' || c.id || ':' || @day, jsonb_build_object('channelId', c.id), @now, @now, @now
              from channels c
             where c.business_id = @b and c.kind = 'whatsapp' and c.enabled and c.settings->>'businessAccountId' is not null
            on conflict (idempotency_key) do nothing
            """, ct, ("t", Topic), ("day", now.ToString("yyyy-MM-dd")), ("now", now), ("b", business));

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("channelId").GetGuid();
        if (await channels.FindCachedAsync(id, ct) is not { Enabled: true, Kind: ChannelKinds.WhatsApp } channel)
            return new OutboxResult.Done();
        try
        {
            await catalog.SyncAsync(Actor.System(channel.BusinessId), channel, ct);
            return new OutboxResult.Done();
        }
        catch (RefusedException e) when (e.Code == "provider_error") { return new OutboxResult.Retry(e.Message); }
        catch (RefusedException) { return new OutboxResult.Done(); }   // no longer configured
    }
}
