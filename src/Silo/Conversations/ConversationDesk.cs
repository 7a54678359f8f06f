using System.Text.Json;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Outbound;

namespace Engine.Silo.Conversations;

/// <summary>
/// What the API asks of a conversation on behalf of a person: each command is sent to the conversation's grain, which
/// runs it (through <see cref="ConversationCommandPort"/>) one at a time with the conversation's deadlines. A refusal
/// comes back as the same <see cref="RefusedException"/> the command raised.
/// </summary>
public sealed class ConversationDesk(IGrainFactory grains, ConversationCommands commands)
{
    /// <summary>A reply to the customer, decided in the conversation's grain.</summary>
    public async Task<SendResult> SendAsync(Actor actor, Guid id, OutboundMessage message,
        IReadOnlyList<string> warnings, string? idempotencyKey, byte[]? fingerprint)
    {
        var command = new SendCommand(actor.ToCommand(), message, warnings, idempotencyKey, fingerprint);
        var outcome = await Grain(id).Send(command);
        return outcome switch
        {
            { MessageId: { } sent } => new SendResult.Accepted(sent, outcome.Repeated),
            { Code: "not_found" } => new SendResult.NotFound(),
            _ => new SendResult.Refused(outcome.Code ?? "refused", outcome.Detail ?? ""),
        };
    }

    public Task LockAsync(Actor actor, Guid id) => RunAsync(id, new(CommandKind.Lock, actor.ToCommand()));
    public Task UnlockAsync(Actor actor, Guid id) => RunAsync(id, new(CommandKind.Unlock, actor.ToCommand()));
    public Task ResolveAsync(Actor actor, Guid id) => RunAsync(id, new(CommandKind.Resolve, actor.ToCommand()));
    public Task ReopenAsync(Actor actor, Guid id) => RunAsync(id, new(CommandKind.Reopen, actor.ToCommand()));

    public Task AssignAsync(Actor actor, Guid id, Guid agent) =>
        RunAsync(id, new(CommandKind.Assign, actor.ToCommand(), AgentId: agent));

    public Task TransferAsync(Actor actor, Guid id, Guid? toAgent, Guid? toTeam, string? comment) =>
        RunAsync(id, new(CommandKind.Transfer, actor.ToCommand(), toAgent, toTeam, comment));

    public Task EscalateAsync(Actor actor, Guid id, string? comment) =>
        RunAsync(id, new(CommandKind.Escalate, actor.ToCommand(), Text: comment));

    /// <summary>A label put on (or taken off) the conversation by hand.</summary>
    public Task LabelAsync(Actor actor, Guid id, Guid label, bool apply) =>
        RunAsync(id, new(apply ? CommandKind.Label : CommandKind.Unlabel, actor.ToCommand(), LabelId: label));

    public async Task<NoteView> AddNoteAsync(Actor actor, Guid id, string text, CancellationToken ct)
    {
        var outcome = await RunAsync(id, new(CommandKind.Note, actor.ToCommand(), Text: text));
        return (await commands.NotesAsync(actor.BusinessId, id, ct)).Single(n => n.Id == outcome.NoteId);
    }

    private IConversationGrain Grain(Guid id) => grains.GetGrain<IConversationGrain>(GrainKeys.Conversation(id));

    private async Task<CommandOutcome> RunAsync(Guid id, ConversationCommand command)
    {
        var outcome = await Grain(id).Run(command);
        if (outcome.Code is not { } code) return outcome;
        var details = outcome.DataJson is null ? (object?)null : JsonDocument.Parse(outcome.DataJson).RootElement;
        throw new RefusedException(code, outcome.Detail ?? code, details);
    }
}

/// <summary>The conversation grain's way to commit a command: <see cref="ConversationCommands"/>, its refusals as
/// outcomes.</summary>
public sealed class ConversationCommandPort(
    ConversationCommands commands, OutboundService outbound, Automation.Labels labels,
    Assignment.AssignmentService assignment) : IConversationCommandPort
{
    public async Task<SendOutcome> SendAsync(Guid id, SendCommand c, CancellationToken ct)
    {
        var actor = Actor.Of(c.Actor);
        try
        {
            var result = await outbound.SendAsync(
                actor.BusinessId, id, c.Message, c.Warnings, c.IdempotencyKey, actor, ct, c.Fingerprint);
            return result switch
            {
                SendResult.Accepted a => new SendOutcome(a.MessageId, a.Repeated),
                SendResult.Refused r => new SendOutcome(null, false, r.Code, r.Detail),
                _ => new SendOutcome(null, false, "not_found", $"No conversation with id {id}."),
            };
        }
        catch (RefusedException e) { return new SendOutcome(null, false, e.Code, e.Message); }
    }

    public async Task<CommandOutcome> RunAsync(Guid id, ConversationCommand c, CancellationToken ct)
    {
        var actor = Actor.Of(c.Actor);
        try
        {
            switch (c.Kind)
            {
                case CommandKind.Lock: await commands.LockAsync(actor, id, ct); break;
                case CommandKind.Unlock: await commands.UnlockAsync(actor, id, ct); break;
                case CommandKind.Assign: await commands.AssignAsync(actor, id, c.AgentId!.Value, ct); break;
                case CommandKind.Transfer:
                    await commands.TransferAsync(actor, id, c.AgentId, c.TeamId, c.Text, ct);
                    break;
                case CommandKind.Escalate: await commands.EscalateAsync(actor, id, c.Text, ct); break;
                case CommandKind.Resolve: await commands.ResolveAsync(actor, id, ct); break;
                case CommandKind.Reopen: await commands.ReopenAsync(actor, id, ct); break;
                case CommandKind.Note:
                    return new CommandOutcome(NoteId: (await commands.AddNoteAsync(actor, id, c.Text ?? "", ct)).Id);
                case CommandKind.Label or CommandKind.Unlabel:
                    if (!await labels.SetAsync(actor, id, c.LabelId!.Value, c.Kind == CommandKind.Label, ct))
                        return new CommandOutcome("not_found", "No such conversation or label.");
                    break;
                case CommandKind.Offer:
                    return new CommandOutcome(AgentId: await assignment.OfferAsync(id, c.TeamId!.Value, ct));
                case CommandKind.Claim: await assignment.ClaimAsync(actor, id, c.TeamId!.Value, ct); break;
                case CommandKind.Prioritise: await commands.PrioritiseAsync(actor, id, c.Priority!.Value, ct); break;
                case CommandKind.Convert: await commands.ConvertAsync(actor, id, c.At!.Value, ct); break;
                default: throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "Unknown command.");
            }
            return new CommandOutcome();
        }
        catch (RefusedException e)
        {
            var data = e.Details is null ? null : JsonSerializer.Serialize(e.Details);
            return new CommandOutcome(e.Code, e.Message, DataJson: data);
        }
    }
}
