using Engine.Grains.Assignment;
using Engine.Grains.Automation;
using Engine.Silo.Assignment;

namespace Engine.Tests.Grains.Team;

public class QueueNoticeTests
{
    private static readonly DateTimeOffset Told = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(10, 7, 3, true)]    // three places better
    [InlineData(10, 8, 3, false)]   // two places: not marked
    [InlineData(4, 2, 3, true)]     // halved
    [InlineData(2, 1, 3, true)]
    [InlineData(3, 2, 3, false)]
    [InlineData(10, 5, 2, false)]   // marked, but the last notice is only two minutes old
    [InlineData(5, 6, 10, false)]   // worse (a VIP went ahead)
    public void A_new_place_is_told_when_it_improved_markedly_at_most_every_few_minutes(int told, int now, int minutes, bool tell) =>
        Assert.Equal(tell, QueueNotice.TellAgain(told, Told, now, Told.AddMinutes(minutes)));

    [Fact]
    public void The_estimate_counts_business_hours()
    {
        var hours = BusinessHours.Default("UTC");   // open 08:00–22:00
        Assert.Equal("Thanks for waiting — you are number 3 in the queue. Estimated wait: about 12 minutes.",
            Notices.QueueText(Notices.KindQueued, 3, TimeSpan.FromMinutes(12), hours, Told));
        // The wait runs past closing: the reply is expected the next morning.
        Assert.Equal("Your place in the queue is now number 2. Expect a reply by Tue 08:10.",
            Notices.QueueText(Notices.KindUpdate, 2, TimeSpan.FromMinutes(20), hours, Told.AddHours(12.83).AddMinutes(0.2)));
        Assert.Equal("We are closed now (our hours: " + hours.Describe() + "). Thanks for waiting — you are number 1 in the " +
            "queue. Expect a reply by Tue 08:05.",
            Notices.QueueText(Notices.KindQueued, 1, TimeSpan.FromMinutes(5), hours, Told.AddHours(14)));
    }
}
