using System.Text.Json;
using Engine.Grains.Automation;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Channels;
using Engine.Silo.Outbound;
using Npgsql;

namespace Engine.Silo.Automation;

/// <summary>What the inbound transaction knows about one contact for the bot.</summary>
public sealed record ContactFacts(bool Vip, string? Language, int AutomatedInLast24h, bool FirstContact);

/// <summary>
/// The bot turn inside the inbound transaction: after the conversation received its new messages it may
/// answer (the reply and its outbox row are written in the same transaction, so a welcome is queued the
/// moment the message is stored), hand over to people, and — when the bot does not answer — the
/// conversation is routed: keyword routing picks the team, else the default team.
/// </summary>
public static class BotStep
{
    public static Decision<ConversationState> Apply(Decision<ConversationState> received, Channel channel, IReadOnlyList<(string? Text, string ContentJson, string? Name)> messages,
        ContactFacts contact, AutomationSet automation, IReadOnlyList<BotFlow> flows, (FlowPosition Position, FlowDefinition Definition)? inFlow,
        Random random, NpgsqlBatch batch, DateTimeOffset now, IReadOnlyCollection<string>? labels = null)
    {
        var state = received.State;
        var last = messages[^1];
        var text = string.Join(" ", messages.Select(m => m.Text).OfType<string>());
        var buttonId = ButtonId(last.ContentJson);
        var human = state.AssigneeId is not null || state.FirstHumanReplyAt is not null || state.BotOutcome == "handed_over";
        var bot = human ? null : FlowTurn(state.Id, text, buttonId, contact, flows, inFlow, batch, now);
        if (bot is null)
            lock (random)
                bot = BotTurn.Decide(new BotContext(text.Length == 0 ? null : text, buttonId, contact.FirstContact, human, contact.AutomatedInLast24h,
                    automation.Rules, automation.Hours, now, last.Name, contact.Language, BotTurn.DefaultHandOverKeywords), random);

        var decision = received;
        var replied = false;   // answered: the bot keeps the conversation (a welcome or an offline notice does not)
        if (bot.Reply is { } reply)
        {
            var message = reply.Buttons.Count == 0
                ? new OutboundMessage("text", Text: reply.Text)
                : new OutboundMessage("buttons", Text: reply.Text, Buttons: reply.Buttons.Select(b => new ReplyButton(b.Id, b.Title)).ToList());
            var id = Guid.CreateVersion7();
            var send = ConversationRules.Send(state, id, false, new SendPolicy(channel.Kind, channel.OutsideWindowPolicy, channel.WindowQuota), now);
            if (send.Accepted)
            {
                var after = send.Decision!.State with { BotReplies = state.BotReplies + 1 };
                decision = decision.Then(send.Decision with { State = after },
                    new DomainEvent(ConversationEvents.BotReplied, now, new { MessageId = id, reply.RuleId, reply.RuleName }));
                batch.BatchCommands.Add(OutboundMessages.Insert(id, state, message, OutboundMessages.BotAuthor, send.OutOfWindow, send.Category, [], null, now));
                replied = reply.Answers;
            }
        }
        else if ((bot.HandOver || ConversationRules.WithTheBot(state)) && state.BotOutcome is null)
            // Asked for a person, or the bot had the conversation and has no answer now: handed over.
            decision = decision.Then(Decision<ConversationState>.Unchanged(decision.State with { BotOutcome = "handed_over", AwaitingSince = now, HandedOverAt = decision.State.HandedOverAt ?? now }),
                new DomainEvent(ConversationEvents.BotHandedOver, now, new { Why = bot.Why }));

        // The bot's answer keeps the conversation until the customer writes again or stays quiet for the quiet period;
        // anything else (no answer, a hand-over, a welcome, an offline notice) queues it at once.
        decision = decision with { Timers = [.. decision.Timers, replied
            ? TimerIntent.Schedule(ConversationTimers.BotQuiet, now + automation.QuietPeriod)
            : TimerIntent.Cancel(ConversationTimers.BotQuiet)] };
        var current = decision.State;
        if (!replied && current.Status == ConversationStatus.Open && current.TeamId is null)
        {
            var routed = automation.Routing.FirstOrDefault(r => r.Matches(text, labels, automation.Timeouts));
            if ((routed?.TeamId ?? automation.DefaultTeam) is { } t)
                decision = decision.Then(ConversationRules.Queue(current, t, contact.Vip ? 1 : 0, now, routed is null ? "new" : "keyword_routing"));
        }
        return decision;
    }

    /// <summary>
    /// A QA flow's turn: continue the flow the conversation is in (the version it started), or start one whose entry
    /// keywords match. Null when no flow is involved. Flow messages count against the same 3-per-24h cap.
    /// </summary>
    private static BotDecision? FlowTurn(Guid conversation, string text, string? buttonId, ContactFacts contact, IReadOnlyList<BotFlow> flows,
        (FlowPosition Position, FlowDefinition Definition)? inFlow, NpgsqlBatch batch, DateTimeOffset now)
    {
        FlowStep step;
        Guid flowId;
        var misses = 0;
        string name;
        if (inFlow is { } current)
        {
            step = QaFlow.Next(current.Definition, current.Position.Node, text.Length == 0 ? null : text, buttonId, current.Position.Misses);
            (flowId, misses, name) = (current.Position.FlowId, current.Position.Misses, "flow");
        }
        else if (buttonId != AutoReplyRules.TalkToAgentId && text.Length > 0
                 && flows.FirstOrDefault(f => f.Enabled && f.EntryKeywords.Any(k => KeywordMatcher.Matches(text, k))) is { } flow)
            (step, flowId, name) = (QaFlow.Start(flow.Definition), flow.Id, $"flow {flow.Key} v{flow.Version}");
        else return null;

        if (contact.AutomatedInLast24h >= BotTurn.MaxAutomatedPer24h && step is not FlowStep.HandOver)
            step = new FlowStep.HandOver($"the customer already had {BotTurn.MaxAutomatedPer24h} automated messages in 24 hours");
        var position = step is FlowStep.Ask ask ? new FlowPosition(flowId, ask.Node, ask.Retry ? misses + 1 : 0) : null;
        batch.BatchCommands.Add(BotFlows.Save(conversation, position, now));
        return step switch
        {
            FlowStep.Ask a => new BotDecision(new BotReply(flowId, name, a.Text, a.Buttons), false, $"{name}: node '{a.Node}'"),
            FlowStep.Answer x => new BotDecision(new BotReply(flowId, name, x.Text,
                contact.AutomatedInLast24h >= 1 ? [new BotButton(AutoReplyRules.TalkToAgentId, AutoReplyRules.TalkToAgentTitle)] : []), false, $"{name}: answered"),
            FlowStep.HandOver h => new BotDecision(null, true, h.Why),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>The reply button the customer pressed (WhatsApp interactive reply or template quick reply).</summary>
    private static string? ButtonId(string contentJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(contentJson);
            var root = doc.RootElement;
            if (root.TryGetProperty("interactive", out var i) && i.TryGetProperty("button_reply", out var b) && b.TryGetProperty("id", out var id)) return id.GetString();
            if (root.TryGetProperty("button", out var t) && t.TryGetProperty("payload", out var p)) return p.GetString();
        }
        catch (JsonException) { }
        return null;
    }

}
