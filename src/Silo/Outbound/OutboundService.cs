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
            if (idempotencyKey is not null)
            {
                var existing = await Sql.QueryAsync(conn, tx, "select id, request_hash from messages where business_id = @b and idempotency_key = @k",
                    r => (Id: r.GetGuid(0), Hash: r.IsDBNull(1) ? null : (byte[])r[1]), ct2, ("b", businessId), ("k", idempotencyKey));
                if (existing.Count > 0)
                    return existing[0].Hash is { } hash && fingerprint is not null && !hash.AsSpan().SequenceEqual(fingerprint)
                        ? new SendResult.Refused("idempotency_key_reused", "This idempotency key was used for a different request.")
                        : new SendResult.Accepted(existing[0].Id, true);
            }
            var state = await ConversationStore.LoadAsync(conn, tx, conversationId, ct2);
            if (state is null || state.BusinessId != businessId) return new SendResult.NotFound();
            var channel = await channels.FindCachedAsync(state.ChannelId, ct2)
                ?? throw new InvalidOperationException($"Channel {state.ChannelId} is gone.");
            if (!channel.Enabled) return new SendResult.Refused("channel_disabled", "The conversation's channel is disabled.");
            if (actor.Role == "Agent" && (actor.UserId is null || state.AssigneeId != actor.UserId))
                return new SendResult.Refused("not_assigned", "Agents reply only to conversations assigned to them.");
            if (message.Type == "template" && channel.Settings.BusinessAccountId is not null
                && await TemplateRefusalAsync(conn, tx, channel.Id, message.Template!, ct2) is { } refused)
                return refused;

            var now = clock.GetUtcNow();
            var locks = await BusinessSettings.LockPolicyAsync(conn, tx, businessId, ct2);
            Decision<ConversationState> touched, replied;
            try
            {
                touched = ConversationRules.Touch(state, actor.UserId ?? Guid.Empty, locks, now);
                // Only a reply that is timed (the first, or one answering a waiting customer) needs the hours.
                var timed = touched.State.FirstHumanReplyAt is null || touched.State.AwaitingSince is not null;
                replied = actor.UserId is { } u
                    ? ConversationRules.HumanReplied(touched.State, u, now, timed
                        ? await Automation.AutomationStore.HoursForAsync(conn, tx, businessId, state.TeamId, ct2) : null)
                    : Decision<ConversationState>.Unchanged(touched.State);
            }
            catch (RefusedException e) { return new SendResult.Refused(e.Code, e.Message); }
            var messageId = Guid.CreateVersion7();
            var outcome = ConversationRules.Send(replied.State, messageId, message.Type == "template",
                new SendPolicy(channel.Kind, channel.OutsideWindowPolicy, channel.WindowQuota), now);
            if (!outcome.Accepted) return new SendResult.Refused(outcome.RefusalCode!, outcome.Detail!);

            var batch = new NpgsqlBatch(conn, tx);
            var insert = OutboundMessages.Insert(messageId, state, message, actor.UserId?.ToString() ?? actor.Id, outcome.OutOfWindow, outcome.Category,
                warnings, idempotencyKey, now, notice);
            batch.BatchCommands.Add(insert);
            if (fingerprint is not null)
                batch.BatchCommands.Add(Sql.Command("update messages set request_hash = @h where id = @id", ("h", fingerprint), ("id", messageId)));
            var decision = touched.Then(replied).Then(outcome.Decision!);
            if (actor.UserId is not null) decision = decision.Then(ConversationRules.AgentSpoke(decision.State, locks, now));
            var (check, _) = await ConversationStore.SaveAsync(conn, tx, batch, [decision], now, ct2);
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
            await batch.ExecuteNonQueryAsync(ct2);
            check();
            return new SendResult.Accepted(messageId, false);
        }, ct);
}
