using Engine.Grains.Interfaces.Channels;

namespace Engine.Grains.Channels;

/// <summary>Where a channel grain gets its WeChat access token (the Silo implements it: the token endpoint and a row
/// per channel).</summary>
public interface IAccessTokenSource
{
    /// <summary>The last token fetched for the channel, as stored (so a restarted grain does not fetch
    /// again).</summary>
    Task<AccessTokenResult?> StoredAsync(Guid channelId, CancellationToken ct);

    /// <summary>Fetches a new token from the provider and stores it; an unsuccessful result says why.</summary>
    Task<AccessTokenResult> FetchAsync(Guid channelId, CancellationToken ct);
}

/// <summary>WeChat tokens last 2 hours; one is refreshed 5 minutes before it expires, or at once when the API refuses
/// it.</summary>
public static class AccessTokenRule
{
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    public static bool Usable(AccessTokenResult? token, string? refused, DateTimeOffset now) =>
        token is { Token: { } t } && token.ExpiresAt - RefreshMargin > now && t != refused;
}
