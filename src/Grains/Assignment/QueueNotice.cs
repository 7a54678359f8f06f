namespace Engine.Grains.Assignment;

/// <summary>
/// When a waiting customer is told their place again: the place improved markedly since they were last told (to half
/// or better, or by at least <see cref="MarkedGain"/> places) and the last notice is at least <see cref="MinInterval"/>
/// old, so a moving queue does not become a stream of messages.
/// </summary>
public static class QueueNotice
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(3);
    public const int MarkedGain = 3;

    public static bool TellAgain(int toldPosition, DateTimeOffset toldAt, int position, DateTimeOffset now) =>
        now - toldAt >= MinInterval && position < toldPosition
        && (position * 2 <= toldPosition || toldPosition - position >= MarkedGain);
}
