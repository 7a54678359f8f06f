using Engine.Grains.Interfaces.Deadlines;
using Microsoft.Extensions.Logging;

namespace Engine.Grains.Deadlines;

/// <summary>
/// The conversation's grain (key <c>conv:{id}</c>): owns its deadlines — the lock's expiry (7 min), idle release
/// (3 min), the response window's close, and its alert checks (first response, waiting). The rules each deadline
/// applies are <see cref="Conversations.ConversationRules"/>.
/// </summary>
public sealed class ConversationGrain(IDeadlineStore store, TimeProvider clock, ILogger<ConversationGrain> logger)
    : DeadlineOwnerGrain(store, clock, logger), IConversationGrain
{
    public const string EntityType = "conversation", AlertEntityType = "alert";
    private static readonly string[] Owned = [EntityType, AlertEntityType];

    protected override IReadOnlyList<string> EntityTypes => Owned;
}

/// <summary>The business account's grain (key <c>biz:{id}</c>): owns its daily checks at local midnight.</summary>
public sealed class BusinessGrain(IDeadlineStore store, TimeProvider clock, ILogger<BusinessGrain> logger)
    : DeadlineOwnerGrain(store, clock, logger), IBusinessGrain
{
    private static readonly string[] Owned = [ConversationGrain.AlertEntityType];

    protected override IReadOnlyList<string> EntityTypes => Owned;
}
