using Engine.Silo.Database;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>Upgrading a database that still has the stand-in's timers table moves every pending deadline into its
/// owning grain's state, with its due time and generation, and drops the table.</summary>
public class DeadlineMigrationTests
{
    [Fact]
    public async Task Pending_timers_move_into_the_conversations_and_businesses_that_own_them()
    {
        var db = await TestDatabase.EmptyAsync();
        try
        {
            await Migrator.MigrateAsync(db.DataSource, upTo: 25);
            var (business, channel, contact, conversation) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
            var t0 = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
            await db.ExecAsync("""
                insert into businesses (id, name, created_at, updated_at) values (@b, 'Upgraded', @t, @t);
                insert into channels (id, business_id, kind, name, settings, secrets, created_at, updated_at)
                     values (@ch, @b, 'whatsapp', 'Old', '{}', '{}', @t, @t);
                insert into contacts (id, business_id, channel_id, external_id, first_seen_at, last_seen_at, created_at, updated_at)
                     values (@c, @b, @ch, '66810000009', @t, @t, @t, @t);
                insert into conversations (id, business_id, channel_id, contact_id, status, opened_at, created_at, updated_at)
                     values (@v, @b, @ch, @c, 'open', @t, @t, @t);
                insert into timers (entity_type, entity_id, kind, due_at, generation, created_at) values
                    ('conversation', @v, 'lock_expiry', @t + interval '7 minutes', 41, @t),
                    ('alert', @v, 'first_response', @t + interval '3 minutes', 42, @t),
                    ('alert', @b, 'daily', @t + interval '15 hours', 43, @t);
                """, ("b", business), ("ch", channel), ("c", contact), ("v", conversation), ("t", t0));

            await Migrator.MigrateAsync(db.DataSource);

            Assert.Equal("alert:first_response@2026-03-02 09:03 #42, conversation:lock_expiry@2026-03-02 09:07 #41",
                await db.ScalarAsync<string>("""
                    select string_agg(k || '@' || to_char((v->>'due')::timestamptz at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
                                      || ' #' || (v->>'gen'), ', ' order by k)
                      from conversations, jsonb_each(deadlines) e(k, v) where id = @v
                    """, ("v", conversation)));
            Assert.Equal(t0.AddMinutes(3), await db.ScalarAsync<DateTime>(
                "select next_deadline_at from conversations where id = @v", ("v", conversation)));
            Assert.Equal(43L, await db.ScalarAsync<long>(
                "select (deadlines->'alert:daily'->>'gen')::bigint from businesses where id = @b", ("b", business)));
            Assert.Equal(0L, await db.CountAsync("from pg_tables where tablename = 'timers'"));
        }
        finally { await db.DisposeAsync(); }
    }
}
