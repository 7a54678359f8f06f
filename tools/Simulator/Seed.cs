using System.Diagnostics;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Simulator;

/// <summary>
/// Seeds a business at scale for the report performance run: contacts, agents, teams, conversations spread over the
/// last N days with a daily rhythm, their events (opened, assigned, replies with reply times, transfers, bot outcomes,
/// conversions, resolutions), CSAT answers, presence and messages — generated inside PostgreSQL in chunks.
/// </summary>
public static class Seed
{
    public static async Task<int> RunAsync(string connectionString, int conversations, int messagesPer, int days)
    {
        await CreateDatabaseIfMissingAsync(connectionString);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await Migrator.MigrateAsync(db);
        await using var conn = await db.OpenConnectionAsync();
        var watch = Stopwatch.StartNew();
        async Task Step(string what, string sql, params (string, object)[] ps)
        {
            var t = Stopwatch.StartNew();
            await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
            foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
            var rows = await cmd.ExecuteNonQueryAsync();
            Console.WriteLine($"{what}: {rows:N0} rows in {t.Elapsed.TotalSeconds:F1} s");
        }

        await new NpgsqlCommand("insert into businesses (id, name, created_at, updated_at) select gen_random_uuid(), 'Default business', now(), now() where not exists (select 1 from businesses)", conn).ExecuteNonQueryAsync();
        var business = (Guid)(await new NpgsqlCommand("select id from businesses order by created_at, id limit 1", conn).ExecuteScalarAsync())!;
        var now = DateTimeOffset.UtcNow;
        var p = new (string, object)[] { ("b", business), ("now", now), ("days", days), ("n", conversations) };
        await Step("channels", """
            insert into channels (id, business_id, kind, name, settings, secrets, created_at, updated_at)
            select gen_random_uuid(), @b, 'whatsapp', 'Seed number ' || g, jsonb_build_object('phoneNumberId', 'seed-' || g || '-' || substr(md5(random()::text), 1, 8)),
                   jsonb_build_object('appSecret', 'seed', 'verifyToken', 'seed', 'accessToken', 'seed'), @now, @now
              from generate_series(1, 2) g
            """, p);
        await Step("agents", """
            insert into users (id, business_id, email, name, role, password_hash, tier, capacity, presence, daily_baseline, created_at, updated_at)
            select gen_random_uuid(), @b, 'seed.agent' || g || '.' || substr(md5(random()::text), 1, 6) || '@example.com', 'Seed agent ' || g, 'Agent', 'x',
                   case when g % 5 = 0 then 'senior' else 'frontline' end, 8, 'online', case when g % 5 = 0 then 120 else 60 end, @now, @now
              from generate_series(1, 40) g
            """, p);
        await Step("teams", """
            insert into teams (id, business_id, name, strategy, created_at, updated_at)
            select gen_random_uuid(), @b, 'Seed team ' || g || ' ' || substr(md5(random()::text), 1, 4), 'least_open', @now, @now from generate_series(1, 4) g
            """, p);
        await Step("team members", """
            insert into team_members (team_id, user_id)
            select t.id, u.id from (select id, row_number() over (order by id) as r from teams where business_id = @b and name like 'Seed team%') t
              join (select id, row_number() over (order by id) as r from users where business_id = @b and name like 'Seed agent%') u on u.r % 4 = t.r % 4
            """, p);
        await Step("contacts", """
            insert into contacts (id, business_id, channel_id, external_id, name, language, vip, first_seen_at, last_seen_at, created_at, updated_at)
            select gen_random_uuid(), @b, (select id from channels where business_id = @b and name like 'Seed number%' order by id limit 1),
                   'seed-' || g || '-' || substr(md5(random()::text), 1, 8), 'Customer ' || g, (array['en','th','pt','zh'])[1 + g % 4], g % 50 = 0,
                   @now - make_interval(days => @days), @now, @now, @now
              from generate_series(1, greatest(1000, @n / 3)) g
            """, p);
        await Step("seed tables", """
            create temp table seed_agents as select id, row_number() over (order by id) - 1 as i from users where business_id = @b and name like 'Seed agent%';
            create temp table seed_teams as select id, row_number() over (order by id) - 1 as i from teams where business_id = @b and name like 'Seed team%';
            create temp table seed_contacts as select id, channel_id, row_number() over (order by id) - 1 as i from contacts where business_id = @b and external_id like 'seed-%';
            create unique index on seed_agents (i); create unique index on seed_teams (i); create unique index on seed_contacts (i); create index on seed_contacts (id);
            create temp table seed_count as select count(*) as n from seed_contacts;
            create temp table seed_labels (i int, name text);
            insert into seed_labels select g, (array['Orders','Returns','Delivery','Payment','Warranty','Account','Promotions','Complaints','Sizes','Stock',
                                                      'Invoices','Shipping cost','Tracking','Refunds','Other'])[g + 1] from generate_series(0, 14) g;
            """, p);
        const int chunk = 100_000;
        for (var start = 0; start < conversations; start += chunk)
        {
            var count = Math.Min(chunk, conversations - start);
            // Opening times: a random day, hours weighted towards 10–12 and 20–22.
            await Step($"conversations {start:N0}+", """
                with g as (
                    select g, random() as r1, random() as r2, random() as r3, random() as r4, random() as r5,
                           (array[0,1,2,7,8,9,10,10,10,11,11,11,12,13,14,15,16,17,18,19,20,20,20,21,21,21,22,23])[1 + floor(random() * 28)::int] as hr
                      from generate_series(@start, @start + @count - 1) g),
                v as (
                    select g.*, date_trunc('day', @now - make_interval(days => floor(g.r1 * @days)::int)) + make_interval(hours => g.hr, secs => floor(g.r2 * 3600)::int) as opened,
                           (select id from seed_contacts c where c.i = (g.g::bigint * 7919) % (select n from seed_count)) as contact,
                           (select id from seed_agents a where a.i = g.g % 40) as agent,
                           (select id from seed_teams t where t.i = g.g % 4) as team
                      from g)
                insert into conversations (id, business_id, channel_id, contact_id, status, assignee_id, team_id, labels, opened_at, resolved_at, first_human_reply_at,
                                           assigned_at, handovers, bot_outcome, bot_replies, message_count, created_at, updated_at)
                select gen_random_uuid(), @b, (select channel_id from seed_contacts where id = v.contact), v.contact,
                       'resolved',
                       case when v.r4 < 0.12 then null else v.agent end, v.team,
                       array[(select name from seed_labels where i = floor(v.r5 * v.r5 * 15)::int)],
                       least(v.opened, @now - interval '1 minute'),
                       least(v.opened, @now - interval '1 minute') + make_interval(secs => 120 + floor(v.r3 * 7000)::int),
                       case when v.r4 < 0.12 or v.r4 > 0.95 then null else least(v.opened, @now - interval '1 minute') + make_interval(secs => 10 + floor(v.r2 * v.r2 * 1200)::int) end,
                       case when v.r4 < 0.12 then null else least(v.opened, @now - interval '1 minute') + interval '5 seconds' end,
                       case when v.r5 > 0.92 then 1 else 0 end,
                       case when v.r4 < 0.12 then 'resolved' when v.r4 < 0.27 then 'handed_over' end,
                       case when v.r4 < 0.27 then 2 else 0 end, @per, least(v.opened, @now - interval '1 minute'), @now
                  from v
                """, [.. p, ("start", start), ("count", count), ("per", messagesPer)]);
        }
        await Step("events: opened, assigned, replies, hand-overs, transfers, resolutions, conversions", """
            insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data)
            select @b, 'conversation', v.id, e.type, e.at, e.data from conversations v
             cross join lateral (values
                ('conversation.opened', v.opened_at, '{}'::jsonb),
                ('conversation.assigned', v.assigned_at, jsonb_build_object('agentId', v.assignee_id)),
                ('conversation.human_replied', v.first_human_reply_at, jsonb_build_object('userId', v.assignee_id, 'first', true,
                    'replySeconds', extract(epoch from v.first_human_reply_at - v.opened_at))),
                ('bot.handed_over', case when v.bot_outcome = 'handed_over' then v.opened_at + interval '40 seconds' end, '{}'::jsonb),
                ('conversation.transferred', case when v.handovers > 0 then v.opened_at + interval '10 minutes' end, jsonb_build_object('from', v.assignee_id)),
                ('conversation.resolved', v.resolved_at, jsonb_build_object('agentId', v.assignee_id)),
                ('conversation.converted', case when hashtext(v.id::text) % 20 = 0 then v.resolved_at end, '{}'::jsonb)) as e(type, at, data)
             where v.business_id = @b and e.at is not null and v.contact_id in (select id from seed_contacts)
            """, p);
        await Step("csat", """
            insert into csat_requests (conversation_id, business_id, contact_id, agent_id, team_id, requested_at, rating, answered_at)
            select id, business_id, contact_id, assignee_id, team_id, resolved_at,
                   case when abs(hashtext(id::text)) % 100 < 60 then 5 when abs(hashtext(id::text)) % 100 < 85 then 4 when abs(hashtext(id::text)) % 100 < 93 then 3
                        when abs(hashtext(id::text)) % 100 < 97 then 2 else 1 end,
                   resolved_at + interval '2 minutes'
              from conversations where business_id = @b and resolved_at is not null and assignee_id is not null and abs(hashtext(id::text)) % 10 < 3
            on conflict do nothing
            """, p);
        await Step("presence", """
            insert into presence_log (business_id, user_id, presence, started_at, ended_at)
            select @b, a.id, 'online', d + interval '8 hours', d + interval '15 hours 30 minutes' + make_interval(mins => ((a.i % 5) * 20)::int)
              from seed_agents a cross join generate_series(date_trunc('day', @now) - make_interval(days => @days), date_trunc('day', @now) - interval '1 day', interval '1 day') d
            """, p);
        for (var k = 0; k < messagesPer; k += Math.Max(1, messagesPer / 5))
        {
            var upTo = Math.Min(messagesPer, k + Math.Max(1, messagesPer / 5));
            await Step($"messages {k}..{upTo - 1} of each conversation", """
                insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, provider_message_id, type, text, content, sent_at,
                                      status, status_rank, created_at, updated_at)
                select gen_random_uuid(), v.business_id, v.id, v.channel_id, v.contact_id, case when m % 2 = 0 then 'in' else 'out' end,
                       'seed.' || v.id || '.' || m, 'text', case when m % 2 = 0 then 'Customer question ' || m else 'Agent answer ' || m end, '{}'::jsonb,
                       v.opened_at + make_interval(secs => m * 45), case when m % 2 = 1 then 'read' end, case when m % 2 = 1 then 4 else 0 end,
                       v.opened_at + make_interval(secs => m * 45), v.opened_at + make_interval(secs => m * 45)
                  from conversations v cross join generate_series(@k, @upTo - 1) m
                 where v.business_id = @b and v.contact_id in (select id from seed_contacts)
                """, [.. p, ("k", k), ("upTo", upTo)]);
        }
        await Step("analyze", "analyze");
        await Step("drop seed tables", "drop table seed_agents, seed_teams, seed_contacts, seed_count, seed_labels");
        Console.WriteLine($"seeded in {watch.Elapsed.TotalMinutes:F1} min");
        return 0;
    }

    /// <summary>The seed goes into its own database: created (from the server's default database) when it does not exist yet.</summary>
    private static async Task CreateDatabaseIfMissingAsync(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync();
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @n", conn);
        exists.Parameters.AddWithValue("n", target.Database!);
        if (await exists.ExecuteScalarAsync() is not null) return;
        await using var create = new NpgsqlCommand($"create database \"{target.Database!.Replace("\"", "\"\"")}\"", conn);
        await create.ExecuteNonQueryAsync();
        Console.WriteLine($"created database {target.Database}");
    }
}
