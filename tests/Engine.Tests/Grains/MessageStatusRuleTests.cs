using Engine.Grains.Messages;

namespace Engine.Tests.Grains;

public class MessageStatusRuleTests
{
    [Theory]
    [InlineData(null, "sent", true)]
    [InlineData(null, "delivered", true)]      // delivered can come with no sent first
    [InlineData("sent", "delivered", true)]
    [InlineData("delivered", "sent", false)]   // a downgrade is ignored
    [InlineData("delivered", "delivered", false)]
    [InlineData("read", "delivered", false)]
    [InlineData("delivered", "read", true)]
    [InlineData("read", "played", true)]
    [InlineData("sent", "failed", true)]
    [InlineData("delivered", "failed", true)]
    [InlineData("failed", "read", false)]      // failed is terminal
    [InlineData("failed", "delivered", false)]
    [InlineData("read", "failed", false)]      // a read message never becomes failed
    public void Statuses_only_move_forward(string? current, string incoming, bool applies) =>
        Assert.Equal(applies, MessageStatusRule.Advances(current, incoming));

    [Fact]
    public void Unknown_statuses_are_not_applied() => Assert.False(MessageStatusRule.IsKnown("deleted"));
}
