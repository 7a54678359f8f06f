namespace Engine.Grains.Contacts;

/// <summary>The profile fields that merging reconciles.</summary>
public sealed record ContactProfile(
    string? Name, string? Email, string? Phone, string? Language, string? Country, bool Vip,
    IReadOnlyDictionary<string, object?> Attributes, IReadOnlyList<string> Tags, decimal LifetimeSpend,
    DateTimeOffset? LastOrderAt, string? LastOrderJson, Guid? DedicatedAgentId, Guid? LastAgentId, DateTimeOffset? LastServedAt);

/// <summary>
/// Merging two contacts of one customer. The contact merged into (the target) keeps its values; where
/// it has none the other's are taken; <c>preferSource</c> names fields where the other contact wins.
/// Tags and attributes are united, VIP if either is, spend added (each order is recorded on one
/// contact), the latest order and the most recent agent kept.
/// </summary>
public static class ContactMerge
{
    public static readonly string[] Fields = ["name", "email", "phone", "language", "country"];

    public static ContactProfile Merge(ContactProfile target, ContactProfile source, IReadOnlySet<string> preferSource)
    {
        string? Pick(string field, string? t, string? s) => preferSource.Contains(field) ? s ?? t : t ?? s;
        var attributes = new Dictionary<string, object?>(source.Attributes);
        foreach (var (k, v) in target.Attributes)
            if (!preferSource.Contains($"attributes.{k}") || !source.Attributes.ContainsKey(k)) attributes[k] = v;
        var sourceOrderNewer = source.LastOrderAt > target.LastOrderAt || target.LastOrderAt is null;
        var sourceServedLater = source.LastServedAt > target.LastServedAt || target.LastServedAt is null;
        return new ContactProfile(
            Pick("name", target.Name, source.Name), Pick("email", target.Email, source.Email), Pick("phone", target.Phone, source.Phone),
            Pick("language", target.Language, source.Language), Pick("country", target.Country, source.Country),
            target.Vip || source.Vip, attributes, target.Tags.Union(source.Tags).ToList(), target.LifetimeSpend + source.LifetimeSpend,
            sourceOrderNewer ? source.LastOrderAt : target.LastOrderAt, sourceOrderNewer ? source.LastOrderJson : target.LastOrderJson,
            target.DedicatedAgentId ?? source.DedicatedAgentId,
            sourceServedLater && source.LastAgentId is not null ? source.LastAgentId : target.LastAgentId,
            sourceServedLater && source.LastAgentId is not null ? source.LastServedAt : target.LastServedAt);
    }
}
