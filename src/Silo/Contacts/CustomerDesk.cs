using System.Text.Json;
using Engine.Grains.Customers;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Queries;

namespace Engine.Silo.Contacts;

/// <summary>
/// What the API changes on a customer: each change is sent to the customer's grain (key of the identity changed), which
/// commits it through <see cref="CustomerProfilePort"/>; refusals come back as the store raised them.
/// </summary>
public sealed class CustomerDesk(
    IGrainFactory grains, ContactStore contacts, CrmEvents crm, ConversationQueries queries, Erasure erasure)
{
    /// <summary>Erases the customer (every merged identity), then has each identity's grain forget it; null when no
    /// such contact is in the business.</summary>
    public async Task<ErasureResult?> EraseAsync(Actor actor, Guid id, CancellationToken ct)
    {
        if (await erasure.EraseAsync(actor, id, ct) is not var (result, identities)) return null;
        foreach (var identity in identities) await grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(identity)).Forget();
        return result;
    }

    /// <summary>A CRM event, applied by the grain of the customer it resolves to (null when none matches).</summary>
    public async Task<CrmResult?> CrmAsync(Actor actor, CrmEvent e, CancellationToken ct)
    {
        if (await crm.ResolveAsync(actor.BusinessId, e, ct) is not { } customer) return null;
        var outcome = await ChangeAsync(customer, ProfileChangeKind.Crm, actor, json: JsonSerializer.Serialize(e));
        if (!outcome.Found) return null;
        return new CrmResult((await queries.ContactAsync(actor.BusinessId, customer, ct))!, outcome.Duplicate);
    }

    public async Task<ContactView?> UpdateAsync(Actor actor, Guid id, ContactChange change, CancellationToken ct) =>
        (await ChangeAsync(id, ProfileChangeKind.Update, actor, json: JsonSerializer.Serialize(change))).Found
            ? await queries.ContactAsync(actor.BusinessId, id, ct) : null;

    public async Task<ContactNote?> AddNoteAsync(Actor actor, Guid id, string text, CancellationToken ct)
    {
        var outcome = await ChangeAsync(id, ProfileChangeKind.Note, actor, text: text);
        if (!outcome.Found) return null;
        return (await contacts.NotesAsync(actor.BusinessId, id, ct)).Single(n => n.Id == outcome.NoteId);
    }

    public async Task<ContactView?> MergeAsync(Actor actor, Guid target, Guid source, IReadOnlySet<string> preferSource,
        CancellationToken ct) =>
        (await ChangeAsync(target, ProfileChangeKind.Merge, actor, mergeFrom: source, preferSource: [.. preferSource]))
            .Found
            ? await queries.ContactAsync(actor.BusinessId, target, ct) : null;

    private async Task<ProfileOutcome> ChangeAsync(Guid id, ProfileChangeKind kind, Actor actor, string? json = null,
        string? text = null, Guid? mergeFrom = null, IReadOnlyList<string>? preferSource = null)
    {
        var change = new ProfileChange(kind, actor.ToCommand(), json, text, mergeFrom, preferSource);
        var outcome = await grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(id)).Change(change);
        if (outcome.Code is { } code) throw new RefusedException(code, outcome.Detail ?? code);
        return outcome;
    }
}

/// <summary>The customer grain's way to commit a profile change: <see cref="ContactStore"/>, its refusals as
/// outcomes.</summary>
public sealed class CustomerProfilePort(ContactStore contacts, CrmEvents crm) : ICustomerProfilePort
{
    public async Task<ProfileOutcome> ChangeAsync(Guid contact, ProfileChange change, CancellationToken ct)
    {
        var actor = Actor.Of(change.Actor);
        try
        {
            switch (change.Kind)
            {
                case ProfileChangeKind.Update:
                    var fields = JsonSerializer.Deserialize<ContactChange>(change.UpdateJson!)!;
                    return new ProfileOutcome(await contacts.UpdateAsync(actor, contact, fields, ct) is not null);
                case ProfileChangeKind.Note:
                    return await contacts.AddNoteAsync(actor, contact, change.Text ?? "", ct) is { } note
                        ? new ProfileOutcome(true, note.Id) : new ProfileOutcome(false);
                case ProfileChangeKind.Crm:
                    var e = JsonSerializer.Deserialize<CrmEvent>(change.UpdateJson!)!;
                    return await crm.ProcessAsync(actor, contact, e, ct) is { } done
                        ? new ProfileOutcome(true, Duplicate: done.Duplicate) : new ProfileOutcome(false);
                case ProfileChangeKind.Merge:
                    var prefer = (change.PreferSource ?? []).ToHashSet();
                    var merged = await contacts.MergeAsync(actor, contact, change.MergeFrom!.Value, prefer, ct);
                    return new ProfileOutcome(merged is not null);
                case ProfileChangeKind.Served:
                    return new ProfileOutcome(await contacts.ServedAsync(actor, contact, change.AgentId!.Value,
                        change.At!.Value, ct));
                default:
                    throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "Unknown profile change.");
            }
        }
        catch (RefusedException e) { return new ProfileOutcome(false, Code: e.Code, Detail: e.Message); }
    }
}
