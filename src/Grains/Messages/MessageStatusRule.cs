namespace Engine.Grains.Messages;

/// <summary>
/// Delivery statuses only move forward: sent &lt; delivered &lt; read &lt; played. Failed is terminal but
/// cannot undo a read. Providers deliver statuses repeated and out of order, so every
/// status is ranked and applied only when it outranks the current one.
/// </summary>
public static class MessageStatusRule
{
    public static readonly IReadOnlyList<string> Known = ["accepted", "sent", "delivered", "read", "played", "failed"];

    public static int Rank(string status) => status switch
    {
        "accepted" => 1,
        "sent" => 2,
        "delivered" => 3,
        "failed" => 4,   // after delivery but before read: a read message is never 'failed'
        "read" => 5,
        "played" => 6,
        _ => 0,
    };

    public static bool IsKnown(string status) => Rank(status) > 0;

    /// <summary>True when <paramref name="incoming"/> should replace <paramref name="current"/>.</summary>
    public static bool Advances(string? current, string incoming)
    {
        if (current == "failed") return false;
        return Rank(incoming) > (current is null ? 0 : Rank(current));
    }
}
