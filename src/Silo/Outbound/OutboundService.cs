using System.Text.Json;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Channels;
using Engine.Silo.Conversations;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Engine.Silo.Team;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Outbound;

public abstract record SendResult
{
    public sealed record Accepted(Guid MessageId, bool Repeated) : SendResult;
    public sealed record Refused(string Code, string Detail) : SendResult;
    public sealed record NotFound : SendResult;
}

/// <summary>
/// Accepting a send: in one transaction, lock the conversation, check who may reply (an agent only to
/// conversations assigned to them; nobody while another holds the lock), let its grain decide under
/// the channel's window rules, and write the message and its outbox row together. A person's reply
/// extends their lock, counts as the first response, and makes them the customer's last agent
/// (sticky ownership). An idempotency key already used returns the message it created, when the request is the same
/// (its fingerprint); with another request it is refused.
/// </summary>
public sealed class OutboundService(Transactions runtime, ChannelStore channels, TimeProvider clock)
{
    /// <summary>A channel with a template catalog sends only its approved templates, with as many parameters as the
    /// template's body has slots.</summary>
    private static async Task<SendResult.Refused?> TemplateRefusalAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        Guid channel, OutboundTemplate template, CancellationToken ct)
    {
        var known = (await Sql.QueryAsync(conn, tx, """
            select status, body_parameters from whatsapp_templates where channel_id = @c and name = @n and language = @l
            """, r => (Status: r.GetString(0), Slots: r.GetInt32(1)), ct, ("c", channel), ("n", template.Name),
            ("l", template.Language))).ToList();
        if (known is not [var t])
            return new SendResult.Refused("unknown_template",
                $"The channel has no template {template.Name} in {template.Language} (sync its templates first).");
        if (t.Status != "APPROVED")
            return new SendResult.Refused("template_not_approved", $"Template {template.Name} ({template.Language}) is {t.Status}.");
        var given = template.Parameters?.Count ?? 0;
        return given == t.Slots ? null : new SendResult.Refused("template_parameters",
            $"Template {template.Name} takes {t.Slots} parameter(s); {given} given.");
    }

    public Task<SendResult> SendAsync(Guid businessId, Guid conversationId, OutboundMessage message, IReadOnlyList<string> warnings,
        string? idempotencyKey, Actor actor, CancellationToken ct, byte[]? fingerprint = null, string? notice = null) =>
        runtime.CallAsync<SendResult>(async (conn, tx, ct2) =>
        {
            if (await RepeatedAsync(conn, tx, businessId, idempotencyKey, fingerprint, ct2) is { } repeated) return repeated;
            var state = await ConversationStore.LoadAsync(conn, tx, conversationId, ct2);
            if (state is null || state.BusinessId != businessId) return new SendResult.NotFound();
            if (actor.Role == "Agent" && (actor.UserId is null || state.AssigneeId != actor.UserId))
                return new SendResult.Refused("not_assigned", "Agents reply only to conversations assigned to them.");
            return await AcceptAsync(conn, tx, state, message, warnings, idempotencyKey, actor, fingerprint, notice, ct2);
        }, ct);

    /// <summary>
    /// Starts a conversation with a customer who has none open on the channel: the customer (an existing identity on
    /// the channel, or a phone number; a new number becomes a contact) gets a new conversation and its first message
    /// (a template) in one transaction. A person who starts it is its assignee. Refused when the customer already has an
    /// open conversation there.
    /// </summary>
    public async Task<SendResult> StartAsync(Guid businessId, Guid channelId, Guid? contactId, string? phoneE164,
        OutboundMessage message, IReadOnlyList<string> warnings, string? idempotencyKey, Actor actor, CancellationToken ct,
        byte[]? fingerprint = null)
    {
        try { return await StartInAsync(businessId, channelId, contactId, phoneE164, message, warnings, idempotencyKey, actor, ct, fingerprint); }
        catch (RefusedException e) { return new SendResult.Refused(e.Code, e.Message); }   // rolled back: no contact left
    }

    private Task<SendResult> StartInAsync(Guid businessId, Guid channelId, Guid? contactId, string? phoneE164,
        OutboundMessage message, IReadOnlyList<string> warnings, string? idempotencyKey, Actor actor, CancellationToken ct,
        byte[]? fingerprint) =>
        runtime.CallAsync<SendResult>(async (conn, tx, ct2) =>
        {
            if (await RepeatedAsync(conn, tx, businessId, idempotencyKey, fingerprint, ct2) is { } repeated) return repeated;
            var now = clock.GetUtcNow();
            Guid customer;
            if (contactId is { } given)
            {
                // The customer's identity on this channel: the contact itself, or one merged with it.
                var found = (await Sql.QueryAsync(conn, tx, """
                    select i.id from contacts c
                      join contacts i on i.id = coalesce(c.merged_into, c.id) or i.merged_into = coalesce(c.merged_into, c.id)
                     where c.id = @c and c.business_id = @b and c.erased_at is null and i.channel_id = @ch
                     order by (i.id = c.id) desc limit 1
                    """, r => r.GetGuid(0), ct2, ("c", given), ("b", businessId), ("ch", channelId))).ToList();
                if (found is not [var identity])
                    return await Sql.QueryAsync(conn, tx, "select 1 from contacts where id = @c and business_id = @b and erased_at is null",
                        r => r.GetInt32(0), ct2, ("c", given), ("b", businessId)) is []
                        ? new SendResult.Refused("not_found", $"No contact with id {given}.")
                        : new SendResult.Refused("invalid_target",
                            "The customer has no identity on this channel: start the conversation by their phone number.");
                customer = identity;
            }
            else
            {
                // WhatsApp knows a number by its digits; the contact's id is derived from them, as when they write.
                var digits = phoneE164!.TrimStart('+');
                customer = Engine.Grains.Contacts.ContactIds.For(channelId, digits);
                await Sql.ExecAsync(conn, tx, """
                    insert into contacts (id, business_id, channel_id, external_id, phone, phone_e164, first_seen_at,
                                          last_seen_at, created_at, updated_at)
                    values (@id, @b, @ch, @digits, @digits, @e164, @now, @now, @now, @now)
                    on conflict (id) do nothing
                    """, ct2, ("id", customer), ("b", businessId), ("ch", channelId), ("digits", digits), ("e164", phoneE164),
                    ("now", now));
            }
            if (await Sql.QueryAsync(conn, tx, "select id from conversations where contact_id = @c and status = 'open'",
                    r => r.GetGuid(0), ct2, ("c", customer)) is [var open])
                return new SendResult.Refused("conversation_open",
                    $"Conversation {open} with this customer is open on the channel: reply there.");
            // Nobody waits for an answer: the conversation has no first response to time.
            var state = ConversationRules.Open(Guid.CreateVersion7(now), businessId, channelId, customer, now)
                with { FirstHumanReplyAt = now };
            var result = await AcceptAsync(conn, tx, state, message, warnings, idempotencyKey, actor, fingerprint, null, ct2,
                started: true);
            return result is SendResult.Refused r ? throw new RefusedException(r.Code, r.Detail) : result;
        }, ct);

    /// <summary>The message an idempotency key already created, when the request is the same; a refusal when the key
    /// was used for another request; null when the key is new.</summary>
    private static async Task<SendResult?> RepeatedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid businessId,
        string? idempotencyKey, byte[]? fingerprint, CancellationToken ct)
    {
        if (idempotencyKey is null) return null;
        var existing = await Sql.QueryAsync(conn, tx, "select id, request_hash from messages where business_id = @b and idempotency_key = @k",
            r => (Id: r.GetGuid(0), Hash: r.IsDBNull(1) ? null : (byte[])r[1]), ct, ("b", businessId), ("k", idempotencyKey));
        if (existing.Count == 0) return null;
        return existing[0].Hash is { } hash && fingerprint is not null && !hash.AsSpan().SequenceEqual(fingerprint)
            ? new SendResult.Refused("idempotency_key_reused", "This idempotency key was used for a different request.")
            : new SendResult.Accepted(existing[0].Id, true);
    }

    /// <summary>The send decided and written: the channel's rules, the conversation's window, the message with its
    /// outbox row. <paramref name="started"/>: the conversation is new, opened by this send.</summary>
    private async Task<SendResult> AcceptAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ConversationState state,
        OutboundMessage message, IReadOnlyList<string> warnings, string? idempotencyKey, Actor actor, byte[]? fingerprint,
        string? notice, CancellationToken ct, bool started = false)
    {
        var businessId = state.BusinessId;
        var channel = await channels.FindCachedAsync(state.ChannelId, ct)
            ?? throw new InvalidOperationException($"Channel {state.ChannelId} is gone.");
        if (!channel.Enabled) return new SendResult.Refused("channel_disabled", "The conversation's channel is disabled.");
        if (message.Type == "template" && channel.Settings.BusinessAccountId is not null
            && await TemplateRefusalAsync(conn, tx, channel.Id, message.Template!, ct) is { } refused)
            return refused;

        var now = clock.GetUtcNow();
        var locks = await BusinessSettings.LockPolicyAsync(conn, tx, businessId, ct);
        Decision<ConversationState> touched, replied;
        try
        {
            if (started)
            {
                var opened = new Decision<ConversationState>(state, [new(ConversationEvents.Opened, now,
                    new { state.ChannelId, state.ContactId, StartedBy = actor.Id })], [], []);
                touched = actor.UserId is { } starter
                    ? opened.Then(ConversationRules.Assign(state, starter, "manual", now))
                    : opened;
                replied = Decision<ConversationState>.Unchanged(touched.State);
            }
            else
            {
                touched = ConversationRules.Touch(state, actor.UserId ?? Guid.Empty, locks, now);
                // Only a reply that is timed (the first, or one answering a waiting customer) needs the hours.
                var timed = touched.State.FirstHumanReplyAt is null || touched.State.AwaitingSince is not null;
                replied = actor.UserId is { } u
                    ? ConversationRules.HumanReplied(touched.State, u, now, timed
                        ? await Automation.AutomationStore.HoursForAsync(conn, tx, businessId, state.TeamId, ct) : null)
                    : Decision<ConversationState>.Unchanged(touched.State);
            }
        }
        catch (RefusedException e) { return new SendResult.Refused(e.Code, e.Message); }
        var messageId = Guid.CreateVersion7();
        var outcome = ConversationRules.Send(replied.State, messageId, message.Type == "template",
            new SendPolicy(channel.Kind, channel.OutsideWindowPolicy, channel.WindowQuota), now);
        if (!outcome.Accepted) return new SendResult.Refused(outcome.RefusalCode!, outcome.Detail!);

        var decision = touched.Then(replied).Then(outcome.Decision!);
        if (actor.UserId is not null) decision = decision.Then(ConversationRules.AgentSpoke(decision.State, locks, now));
        var batch = new NpgsqlBatch(conn, tx);
        // The conversation first: a started one is inserted before its first message.
        var (check, _) = await ConversationStore.SaveAsync(conn, tx, batch, [decision], now, ct);
        var insert = OutboundMessages.Insert(messageId, state, message, actor.UserId?.ToString() ?? actor.Id, outcome.OutOfWindow, outcome.Category,
            warnings, idempotencyKey, now, notice);
        batch.BatchCommands.Add(insert);
        if (message.Media?.AttachmentId is { } attachment)
            batch.BatchCommands.Add(OutboundMessages.AttachMedia(messageId, attachment, businessId, now));
        if (fingerprint is not null)
            batch.BatchCommands.Add(Sql.Command("update messages set request_hash = @h where id = @id", ("h", fingerprint), ("id", messageId)));
        var effects = new Effects();
        // A person's reply makes them the customer's sticky owner, through the customer's grain.
        effects.Add(ConversationStore.EntityType, state.Id, businessId, actor.UserId is { } agent
            ? decision with { Outbox = [.. decision.Outbox, FollowUps.Served(state.ContactId, agent, now)] }
            : decision, now);
        effects.AppendTo(batch, now);
        batch.BatchCommands.Add(AuditLog.Entry(actor, "message.sent", "message", messageId, null,
            new { ConversationId = state.Id, message.Type, outcome.OutOfWindow, outcome.Category }, now));
        if (OutboundMessages.IsPerson(actor.UserId?.ToString() ?? actor.Id))
            batch.BatchCommands.Add(OutboundMessages.PutAutomatedBehind(state.Id, now));
        await batch.ExecuteNonQueryAsync(ct);
        check();
        return new SendResult.Accepted(messageId, false);
    }
}
