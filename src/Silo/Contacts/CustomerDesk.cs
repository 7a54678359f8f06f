using System.Text.Json;
using Engine.Grains.Customers;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Queries;

namespace Engine.Silo.Contacts;

/// <summary>
/// What the API changes on a customer: each change is sent to the customer's grain (key of the identity changed), which
/// commits it through <see cref="CustomerProfilePort"/>; refusals come back as the store raised them.
/// </summary>
public sealed class CustomerDesk(IGrainFactory grains, ContactStore contacts, CrmEvents crm, ConversationQueries queries)
{
    /// <summary>A CRM event, applied by the grain of the customer it resolves to (null when none matches).</summary>
    public async Task<CrmResult?> CrmAsync(Actor actor, CrmEvent e, CancellationToken ct)
    {
        if (await crm.ResolveAsync(actor.BusinessId, e, ct) is not { } customer) return null;
        var outcome = await ChangeAsync(customer, new ProfileChange(ProfileChangeKind.Crm, actor.ToCommand(), UpdateJson: JsonSerializer.Serialize(e)));
        return outcome.Found ? new CrmResult((await queries.ContactAsync(actor.BusinessId, customer, ct))!, outcome.Duplicate) : null;
    }

    public async Task<ContactView?> UpdateAsync(Actor actor, Guid id, ContactChange change, CancellationToken ct) =>
        (await ChangeAsync(id, new ProfileChange(ProfileChangeKind.Update, actor.ToCommand(), UpdateJson: JsonSerializer.Serialize(change)))).Found
            ? await queries.ContactAsync(actor.BusinessId, id, ct) : null;

    public async Task<ContactNote?> AddNoteAsync(Actor actor, Guid id, string text, CancellationToken ct)
    {
        var outcome = await ChangeAsync(id, new ProfileChange(ProfileChangeKind.Note, actor.ToCommand(), Text: text));
        return outcome.Found ? (await contacts.NotesAsync(actor.BusinessId, id, ct)).Single(n => n.Id == outcome.NoteId) : null;
    }

    public async Task<ContactView?> MergeAsync(Actor actor, Guid target, Guid source, IReadOnlySet<string> preferSource, CancellationToken ct) =>
        (await ChangeAsync(target, new ProfileChange(ProfileChangeKind.Merge, actor.ToCommand(), MergeFrom: source, PreferSource: [.. preferSource]))).Found
            ? await queries.ContactAsync(actor.BusinessId, target, ct) : null;

    private async Task<ProfileOutcome> ChangeAsync(Guid id, ProfileChange change)
    {
        var outcome = await grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(id)).Change(change);
        if (outcome.Code is { } code) throw new RefusedException(code, outcome.Detail ?? code);
        return outcome;
    }

}

/// <summary>The customer grain's way to commit a profile change: <see cref="ContactStore"/>, its refusals as outcomes.</summary>
public sealed class CustomerProfilePort(ContactStore contacts, CrmEvents crm) : ICustomerProfilePort
{
    public async Task<ProfileOutcome> ChangeAsync(Guid contact, ProfileChange change, CancellationToken ct)
    {
        var actor = Actor.Of(change.Actor);
        try
        {
            return change.Kind switch
            {
                ProfileChangeKind.Update => new ProfileOutcome(
                    await contacts.UpdateAsync(actor, contact, JsonSerializer.Deserialize<ContactChange>(change.UpdateJson!)!, ct) is not null),
                ProfileChangeKind.Note => await contacts.AddNoteAsync(actor, contact, change.Text ?? "", ct) is { } note
                    ? new ProfileOutcome(true, note.Id) : new ProfileOutcome(false),
                ProfileChangeKind.Crm => await crm.ProcessAsync(actor, contact, JsonSerializer.Deserialize<CrmEvent>(change.UpdateJson!)!, ct) is { } done
                    ? new ProfileOutcome(true, Duplicate: done.Duplicate) : new ProfileOutcome(false),
                ProfileChangeKind.Merge => new ProfileOutcome(
                    await contacts.MergeAsync(actor, contact, change.MergeFrom!.Value, (change.PreferSource ?? []).ToHashSet(), ct) is not null),
                _ => throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "Unknown profile change."),
            };
        }
        catch (RefusedException e) { return new ProfileOutcome(false, Code: e.Code, Detail: e.Message); }
    }
}
