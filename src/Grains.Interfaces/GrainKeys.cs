namespace Engine.Grains.Interfaces;

/// <summary>
/// Grain keys carry a non-hex prefix (see shared/spec/orleans.md: keys made only of hex digits collide in
/// Orleans' storage), one per grain class.
/// </summary>
public static class GrainKeys
{
    public static string Conversation(Guid id) => $"conv:{id:N}";
    public static string Business(Guid id) => $"biz:{id:N}";
    public static string Channel(Guid id) => $"chan:{id:N}";
    public static string Customer(Guid contactId) => $"cust:{contactId:N}";
    public static string Agent(Guid userId) => $"agent:{userId:N}";
    public static string Team(Guid teamId) => $"team:{teamId:N}";

    public static Guid IdOf(string key) => Guid.ParseExact(key[(key.IndexOf(':') + 1)..], "N");
}
