using Engine.Grains.Interfaces.Runtime;

namespace Engine.Silo.Contacts;

/// <summary>What happens to contacts, as recorded (and published to webhooks).</summary>
public static class ContactEvents
{
    public const string EntityType = "contact";
    public const string Created = "contact.created";
    public const string Changed = "contact.changed";
    public const string Merged = "contact.merged";
    public const string Converted = "contact.converted";
    public const string MatchTopic = "contact.match";

    /// <summary>Ask for the business's matching rule (same verified phone → one customer) to be applied to this contact.</summary>
    public static OutboxIntent Match(Guid contact) => new(MatchTopic, $"match:{contact}:{Guid.NewGuid():N}", new { ContactId = contact });
}
