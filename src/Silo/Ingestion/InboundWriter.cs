using Engine.Grains.Contacts;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Automation;
using Engine.Silo.Contacts;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Ingestion;
using Engine.Grains.Messages;
using Engine.Silo.Channels;
using Engine.Silo.Conversations;
using Engine.Silo.Messages;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Ingestion;

/// <summary>
/// Writes a group of webhook deliveries in one transaction with a fixed number of set-based
/// statements: upsert contacts (taking their row locks in key order), read their open
/// conversations (writes fenced by version), insert messages with <c>ON CONFLICT DO NOTHING</c> (the provider id is unique
/// per channel: exactly once), let each conversation grain decide over its new messages, then
/// write conversations (with their deadlines), events and statuses in one round trip.
/// </summary>
public static class InboundWriter
{
    public sealed record Delivery(Channel Channel, InboundBatch Batch);

    /// <returns>Per identity in the deliveries: the customer (merged root) it is stored as, and the conversation its
    /// messages are in.</returns>
    public static async Task<IReadOnlyDictionary<(Guid Channel, string ExternalId), InboundStored>> WriteAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Delivery> deliveries, DateTimeOffset now,
        CancellationToken ct, AutomatedLedger automated, Random? random = null)
    {
        // A provider time in the future opens no response window into the future: it counts from receipt.
        var messages = deliveries
            .SelectMany(d => d.Batch.Messages.Select(m => (d.Channel, Message: m.SentAt > now ? m with { SentAt = now } : m)))
            .DistinctBy(x => (x.Channel.Id, x.Message.ProviderMessageId))
            .OrderBy(x => x.Channel.Id).ThenBy(x => x.Message.ProviderMessageId, StringComparer.Ordinal)
            .ToList();
        var events = deliveries
            .SelectMany(d => d.Batch.Events.Select(e => (d.Channel, Event: e)))
            .DistinctBy(x => (x.Channel.Id, x.Event.EventKey))
            .ToList();

        var effects = new Effects();
        var firstContacts = new HashSet<Guid>();
        var customers = new Dictionary<(Guid, string), Guid>();
        // A customer whose language nobody has set gets the one their messages are written in (kept until corrected).
        var languages = messages.GroupBy(x => (x.Channel.Id, x.Message.Contact.ExternalId))
            .ToDictionary(g => g.Key, g => LanguageGuess.Guess(string.Join(" ", g.Select(x => x.Message.Text).OfType<string>())));
        var contacts = await UpsertContactsAsync(conn, tx,
            messages.Select(x => (x.Channel, x.Message.Contact))
                .Concat(events.Select(x => (x.Channel, x.Event.Contact))).ToList(),
            languages, effects, firstContacts, customers, now, ct);

        var batch = new NpgsqlBatch(conn, tx);
        var threads = new Dictionary<Guid, Guid>();
        var versionCheck = messages.Count > 0
            ? await WriteMessagesAsync(conn, tx, batch, messages, contacts, firstContacts, effects, automated,
                random ?? Random.Shared, threads, now, ct)
            : null;
        var stored = contacts.ToDictionary(c => c.Key,
            c => new InboundStored(customers[c.Key], threads.TryGetValue(c.Value, out var t) ? t : null));
        effects.AppendTo(batch, now);
        AppendEvents(batch, events, contacts, now);
        AppendStatuses(batch, deliveries, now);
        if (batch.BatchCommands.Count == 0) return stored;
        await batch.ExecuteNonQueryAsync(ct);
        versionCheck?.Invoke();
        return stored;
    }

    private static async Task<Dictionary<(Guid Channel, string ExternalId), Guid>> UpsertContactsAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, List<(Channel Channel, InboundContact Contact)> seen,
        Dictionary<(Guid, string), string?> languages, Effects effects, HashSet<Guid> inserted,
        Dictionary<(Guid, string), Guid> customers, DateTimeOffset now, CancellationToken ct)
    {
        var result = new Dictionary<(Guid, string), Guid>();
        if (seen.Count == 0) return result;
        // The last mention of a contact carries the freshest profile; key order keeps lock order the same in every transaction.
        var rows = seen.GroupBy(x => (x.Channel.Id, x.Contact.ExternalId))
            .Select(g => (Channel: g.First().Channel, Contact: g.Aggregate(g.First().Contact, (a, b) => new InboundContact(
                a.ExternalId, b.Contact.Name ?? a.Name, b.Contact.Phone ?? a.Phone, b.Contact.Bsuid ?? a.Bsuid))))
            .OrderBy(x => x.Channel.Id).ThenBy(x => x.Contact.ExternalId, StringComparer.Ordinal)
            .ToList();
        await using var cmd = new NpgsqlCommand("""
            insert into contacts as c (id, business_id, channel_id, external_id, name, phone, phone_e164, bsuid, language,
                                       language_source, first_seen_at, last_seen_at, created_at, updated_at)
            select id, business_id, channel_id, external_id, name, phone, phone_e164, bsuid, language,
                   case when language is not null then 'message' end, @now, @now, @now, @now
              from unnest(@id, @business_id, @channel_id, @external_id, @name, @phone, @phone_e164, @bsuid, @language) with ordinality
                as u(id, business_id, channel_id, external_id, name, phone, phone_e164, bsuid, language, n)
             order by n
            on conflict (channel_id, external_id) do update set
                name = coalesce(excluded.name, c.name), phone = coalesce(excluded.phone, c.phone), phone_e164 = coalesce(excluded.phone_e164, c.phone_e164),
                language = coalesce(c.language, excluded.language),
                language_source = case when c.language is null then excluded.language_source else c.language_source end,
                bsuid = coalesce(excluded.bsuid, c.bsuid), last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at),
                updated_at = excluded.updated_at, version = c.version + 1
            returning c.id, c.channel_id, c.external_id, (xmax = 0), c.business_id, c.phone_e164,
                      (select b.auto_merge_verified_phone from businesses b where b.id = c.business_id),
                      coalesce(c.merged_into, c.id)
            """, conn, tx);
        // A new identity's id is derived from it: the customer grain the webhook routed it to is this contact's.
        cmd.Parameters.Add(new NpgsqlParameter("id",
            rows.Select(r => ContactIds.For(r.Channel.Id, r.Contact.ExternalId)).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("business_id", rows.Select(r => r.Channel.BusinessId).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("channel_id", rows.Select(r => r.Channel.Id).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("external_id", rows.Select(r => r.Contact.ExternalId).ToArray()));
        cmd.Parameters.Add(Texts("name", rows.Select(r => r.Contact.Name)));
        cmd.Parameters.Add(Texts("phone", rows.Select(r => r.Contact.Phone)));
        cmd.Parameters.Add(Texts("phone_e164", rows.Select(r => PhoneNumbers.ToE164(r.Contact.Phone))));
        cmd.Parameters.Add(Texts("bsuid", rows.Select(r => r.Contact.Bsuid)));
        cmd.Parameters.Add(Texts("language", rows.Select(r => languages.GetValueOrDefault((r.Channel.Id, r.Contact.ExternalId)))));
        cmd.Parameters.Add(new NpgsqlParameter("now", now));
        var kinds = rows.Select(x => x.Channel).DistinctBy(c => c.Id).ToDictionary(c => c.Id, c => c.Kind);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            result[(r.GetGuid(1), r.GetString(2))] = r.GetGuid(0);
            customers[(r.GetGuid(1), r.GetString(2))] = r.GetGuid(7);
            // A customer seen for the first time: published, and checked against the business's matching rule.
            if (r.GetBoolean(3)) inserted.Add(r.GetGuid(0));
            // A new WeChat customer's profile is asked for their language.
            if (r.GetBoolean(3))
                effects.Add(ContactEvents.EntityType, r.GetGuid(0), r.GetGuid(4), new Decision<int>(0,
                    [new DomainEvent(ContactEvents.Created, now, new { ChannelId = r.GetGuid(1), ExternalId = r.GetString(2) })], [],
                    [
                        .. r.IsDBNull(5) || !r.GetBoolean(6) ? Array.Empty<OutboxIntent>() : [ContactEvents.Match(r.GetGuid(0))],
                        .. kinds[r.GetGuid(1)] == ChannelKinds.WeChat ? [WeChatProfiles.Fetch(r.GetGuid(0))] : Array.Empty<OutboxIntent>(),
                    ]), now);
        }
        return result;
    }

    private static async Task<Action?> WriteMessagesAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, NpgsqlBatch batch,
        List<(Channel Channel, InboundMessage Message)> messages,
        Dictionary<(Guid, string), Guid> contacts, HashSet<Guid> firstContacts, Effects effects,
        AutomatedLedger automated, Random random, Dictionary<Guid, Guid> threads, DateTimeOffset now, CancellationToken ct)
    {
        var contactIds = messages.Select(m => contacts[(m.Channel.Id, m.Message.Contact.ExternalId)]).Distinct().ToArray();
        var open = await ConversationStore.LoadOpenByContactsAsync(conn, tx, contactIds, ct);
        // The conversation each contact's messages are in: the open one, or (below) the one their new messages open.
        foreach (var (contact, state) in open) threads[contact] = state.Id;
        var pendingCsat = await Csat.PendingAsync(conn, tx, contactIds, now, ct);
        var csatAnswers = new Dictionary<Guid, (Guid Conversation, Guid Business, int Rating)>();

        // A contact without an open conversation gets a new one, written only if one of its messages is new.
        var conversations = new Dictionary<Guid, (ConversationState State, Channel Channel)>();
        var rows = new List<(Guid Id, Guid ConversationId, Guid ContactId, Channel Channel, InboundMessage Message)>();
        foreach (var (channel, m) in messages)
        {
            var contactId = contacts[(channel.Id, m.Contact.ExternalId)];
            // The answer to a rating request belongs to the resolved conversation that asked; it opens nothing.
            if (pendingCsat.Remove(contactId, out var rated) && Csat.Rating(m.Text, m.ContentJson) is { } rating)
            {
                var rowId = Guid.CreateVersion7();
                rows.Add((rowId, rated, contactId, channel, m));
                csatAnswers[rowId] = (rated, channel.BusinessId, rating);
                continue;
            }
            if (!conversations.TryGetValue(contactId, out var conv))
            {
                var state = open.TryGetValue(contactId, out var existing)
                    ? existing
                    : ConversationRules.Open(Guid.CreateVersion7(), channel.BusinessId, channel.Id, contactId, now);
                conversations[contactId] = conv = (state, channel);
            }
            rows.Add((Guid.CreateVersion7(), conv.State.Id, contactId, channel, m));
        }

        await using var insert = new NpgsqlCommand("""
            insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, provider_message_id,
                                  type, text, content, reply_to_provider_id, sent_at, warnings, created_at, updated_at)
            select id, business_id, conversation_id, channel_id, contact_id, 'in', provider_message_id,
                   type, text, content::jsonb, reply_to, sent_at, case when truncated then '{text_truncated}'::text[] else '{}' end, @now, @now
              from unnest(@id, @business_id, @conversation_id, @channel_id, @contact_id, @provider_message_id,
                          @type, @text, @content, @reply_to, @sent_at, @truncated) with ordinality
                as u(id, business_id, conversation_id, channel_id, contact_id, provider_message_id, type, text, content, reply_to, sent_at, truncated, n)
             order by n
            on conflict (channel_id, provider_message_id) do nothing
            returning id
            """, conn, tx);
        var p = insert.Parameters;
        p.Add(new NpgsqlParameter("id", rows.Select(r => r.Id).ToArray()));
        p.Add(new NpgsqlParameter("business_id", rows.Select(r => r.Channel.BusinessId).ToArray()));
        p.Add(new NpgsqlParameter("conversation_id", rows.Select(r => r.ConversationId).ToArray()));
        p.Add(new NpgsqlParameter("channel_id", rows.Select(r => r.Channel.Id).ToArray()));
        p.Add(new NpgsqlParameter("contact_id", rows.Select(r => r.ContactId).ToArray()));
        p.Add(new NpgsqlParameter("provider_message_id", rows.Select(r => r.Message.ProviderMessageId).ToArray()));
        p.Add(new NpgsqlParameter("type", rows.Select(r => r.Message.Type).ToArray()));
        p.Add(Texts("text", rows.Select(r => r.Message.Text)));
        p.Add(new NpgsqlParameter("content", rows.Select(r => r.Message.ContentJson).ToArray()));
        p.Add(Texts("reply_to", rows.Select(r => r.Message.ReplyToProviderId)));
        p.Add(new NpgsqlParameter("sent_at", rows.Select(r => r.Message.SentAt).ToArray()));
        p.Add(new NpgsqlParameter("truncated", rows.Select(r => r.Message.Warnings is { Count: > 0 }).ToArray()));
        p.Add(new NpgsqlParameter("now", now));
        var inserted = new HashSet<Guid>();
        await using (var r = await insert.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) inserted.Add(r.GetGuid(0));

        QueueMediaFetches(batch, effects, rows.Where(r => inserted.Contains(r.Id)), now);

        var changed = new List<Decision<ConversationState>>();
        var labelCommands = new List<NpgsqlBatchCommand>();
        foreach (var (rowId, answer) in csatAnswers)
            if (inserted.Contains(rowId))
                foreach (var cmd in Csat.Answer(answer.Business, answer.Conversation, answer.Rating, null, now, effects)) batch.BatchCommands.Add(cmd);
        var fresh = rows.Where(r => inserted.Contains(r.Id) && !csatAnswers.ContainsKey(r.Id)).GroupBy(r => r.ContactId).ToList();
        if (fresh.Count == 0) return null;
        var automation = await AutomationStore.LoadAsync(conn, tx, fresh.Select(g => conversations[g.Key].State.BusinessId).Distinct().ToArray(), ct);
        // Only a business with rules or flows can send an automated message: only its customers reserve from the cap.
        var botMaySpeak = fresh.Where(g => automation[conversations[g.Key].State.BusinessId] is { } a && (a.Rules.Count > 0 || a.Flows.Count > 0))
            .Select(g => g.Key).ToHashSet();
        var facts = await ContactFactsAsync(conn, tx, fresh.Select(g => g.Key).ToArray(), firstContacts, botMaySpeak, automated, ct);
        var positions = await BotFlows.PositionsAsync(conn, tx, fresh.Select(g => conversations[g.Key].State.Id).ToArray(), ct);
        foreach (var group in fresh)
        {
            var (state, channel) = conversations[group.Key];
            var ordered = group.OrderBy(r => r.Message.SentAt).ToList();
            var decision = ConversationRules.Receive(state,
                ordered.Select(r => new ReceivedMessage(r.Id, r.Message.Type, r.Message.SentAt)).ToList(),
                new ConversationPolicy(channel.ResponseWindow), now);
            // Auto-labels first: routing rules may send a labelled conversation to a team.
            var text = string.Join(" ", ordered.Select(r => r.Message.Text).OfType<string>());
            var earned = automation[state.BusinessId].LabelRules.Where(rule => text.Length > 0 && rule.Matches(text, automation[state.BusinessId].Timeouts)).ToList();
            decision = BotStep.Apply(decision, channel, ordered.Select(r => (r.Message.Text, r.Message.ContentJson, r.Message.Contact.Name)).ToList(),
                facts[group.Key], automation[state.BusinessId], automation[state.BusinessId].Flows,
                positions.TryGetValue(state.Id, out var position) ? position : null, random, batch, now, earned.Select(l => l.Path).ToList());
            changed.Add(decision);
            threads[group.Key] = state.Id;
            effects.Add(ConversationStore.EntityType, state.Id, state.BusinessId, decision, now);
            // After the conversation row is written (same batch), so the label array update finds it.
            foreach (var rule in earned) labelCommands.AddRange(Labels.Apply(state.Id, rule.LabelId, rule.Path, "rule", now));
        }
        if (changed.Count == 0) return null;
        foreach (var set in automation.Values)
            foreach (var flag in Labels.FlagTimeouts(set.Timeouts, now)) batch.BatchCommands.Add(flag);
        var (check, _) = await ConversationStore.SaveAsync(conn, tx, batch, changed, now, ct);
        foreach (var cmd in labelCommands) batch.BatchCommands.Add(cmd);
        return check;
    }

    /// <summary>A new message with an attachment (WhatsApp media, WeChat temporary media): its media row (pending) and
    /// the fetch, in this commit.</summary>
    private static void QueueMediaFetches(NpgsqlBatch batch, Effects effects,
        IEnumerable<(Guid Id, Guid ConversationId, Guid ContactId, Channel Channel, InboundMessage Message)> rows,
        DateTimeOffset now)
    {
        var media = rows
            .Select(r => (Row: r, Media: Engine.Silo.Media.MediaFetcher.MediaOf(r.Channel.Kind, r.Message.Type, r.Message.ContentJson)))
            .Where(x => x.Media is not null).ToList();
        if (media.Count == 0) return;
        var insert = new NpgsqlBatchCommand("""
            insert into message_media (message_id, business_id, provider_media_id, content_type, filename, created_at, updated_at)
            select * , @now, @now from unnest(@m, @b, @p, @t, @f)
            on conflict (message_id) do nothing
            """);
        insert.Parameters.Add(new NpgsqlParameter("m", media.Select(x => x.Row.Id).ToArray()));
        insert.Parameters.Add(new NpgsqlParameter("b", media.Select(x => x.Row.Channel.BusinessId).ToArray()));
        insert.Parameters.Add(new NpgsqlParameter("p", media.Select(x => x.Media!.Value.Id).ToArray()));
        insert.Parameters.Add(Texts("t", media.Select(x => x.Media!.Value.MimeType)));
        insert.Parameters.Add(Texts("f", media.Select(x => x.Media!.Value.Filename)));
        insert.Parameters.Add(new NpgsqlParameter("now", now));
        batch.BatchCommands.Add(insert);
        foreach (var (row, _) in media)
            effects.Add("message", row.Id, row.Channel.BusinessId,
                new Decision<int>(0, [], [], [Engine.Silo.Media.MediaFetcher.Fetch(row.Id)]), now);
    }

    /// <summary>
    /// VIP flag and language per contact, and how much of the automated cap its customer (the merged root, every
    /// channel)
    /// has spent: reserved from the customer's grain, so bot turns on two channels cannot both spend the same share.
    /// </summary>
    private static async Task<Dictionary<Guid, ContactFacts>> ContactFactsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid[] contacts, HashSet<Guid> first,
        HashSet<Guid> botMaySpeak, AutomatedLedger automated, CancellationToken ct)
    {
        var rows = new List<(Guid Id, bool Vip, string? Language, Guid Customer)>();
        // A merged identity has its customer's facts: VIP and language are the root's.
        await using (var cmd = new NpgsqlCommand("""
            select c.id, r.vip, coalesce(r.language, c.language), r.id
              from contacts c join contacts r on r.id = coalesce(c.merged_into, c.id) where c.id = any(@ids)
            """, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter("ids", contacts));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) rows.Add((r.GetGuid(0), r.GetBoolean(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetGuid(3)));
        }
        var spent = await Task.WhenAll(rows.Select(row => botMaySpeak.Contains(row.Id) ? automated.SpentAsync(row.Customer) : Task.FromResult(0)));
        return rows.Select((row, i) => (row.Id, Facts: new ContactFacts(row.Vip, row.Language, spent[i], first.Contains(row.Id))))
            .ToDictionary(x => x.Id, x => x.Facts);
    }

    private static void AppendEvents(NpgsqlBatch batch, List<(Channel Channel, InboundEvent Event)> events,
        Dictionary<(Guid, string), Guid> contacts, DateTimeOffset now)
    {
        if (events.Count == 0) return;
        var cmd = new NpgsqlBatchCommand("""
            insert into channel_events (channel_id, contact_id, event_key, event, content, occurred_at, created_at)
            select c, p, k, e, j::jsonb, a, @now from unnest(@c, @p, @k, @e, @j, @a) as u(c, p, k, e, j, a)
            on conflict (channel_id, event_key) do nothing
            """);
        cmd.Parameters.Add(new NpgsqlParameter("c", events.Select(e => e.Channel.Id).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("p", events.Select(e => contacts[(e.Channel.Id, e.Event.Contact.ExternalId)]).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("k", events.Select(e => e.Event.EventKey).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("e", events.Select(e => e.Event.Event).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("j", events.Select(e => e.Event.ContentJson).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("a", events.Select(e => e.Event.At).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("now", now));
        batch.BatchCommands.Add(cmd);
    }

    private static void AppendStatuses(NpgsqlBatch batch, IReadOnlyList<Delivery> deliveries, DateTimeOffset now)
    {
        // Per message only the highest-ranked status of this group matters.
        var best = deliveries
            .SelectMany(d => d.Batch.Statuses.Where(s => MessageStatusRule.IsKnown(s.Status)).Select(s => (d.Channel.Id, Status: s)))
            .GroupBy(x => (x.Id, x.Status.ProviderMessageId))
            .Select(g => g.Aggregate((a, b) => MessageStatusRule.Advances(a.Status.Status, b.Status.Status) ? b : a))
            .OrderBy(x => x.Id).ThenBy(x => x.Status.ProviderMessageId, StringComparer.Ordinal)
            .ToList();
        if (best.Count == 0) return;
        var cmd = StatusBook.ApplyOrHold(best.Select(b => b.Id), best.Select(b => b.Status), now);
        batch.BatchCommands.Add(cmd);
    }

    internal static NpgsqlParameter Texts(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.Select(v => (object?)v ?? DBNull.Value).ToArray() };
}
