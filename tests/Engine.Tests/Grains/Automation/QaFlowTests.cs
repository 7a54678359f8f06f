using Engine.Grains.Automation;

namespace Engine.Tests.Grains.Automation;

public class QaFlowTests
{
    private static readonly FlowDefinition Returns = new("root", new Dictionary<string, FlowNode>
    {
        ["root"] = new("What do you need?", [
            new("return", "Return an item", Next: "return"),
            new("ship", "Shipping", Answer: "Shipping takes 2 days."),
            new("other", "Something else", HandOver: true)]),
        ["return"] = new("Reply RETURN PROCESS for the steps.", [
            new("process", "Return process", Keywords: ["return process"], Answer: "1) Pack it 2) Print the label 3) Drop it off.")]),
    });

    [Fact]
    public void A_numbered_menu_leads_to_a_button_node_and_a_layered_answer()
    {
        var start = Assert.IsType<FlowStep.Ask>(QaFlow.Start(Returns));
        Assert.Contains("1. Return an item", start.Text);
        Assert.Contains("0. Talk to an agent", start.Text);                  // every node offers a human
        var next = Assert.IsType<FlowStep.Ask>(QaFlow.Next(Returns, "root", "1", null, 0));
        Assert.Equal("return", next.Node);
        Assert.Contains(next.Buttons, b => b.Id == AutoReplyRules.TalkToAgentId);
        var answer = Assert.IsType<FlowStep.Answer>(QaFlow.Next(Returns, "return", "RETURN PROCESS", null, 0));
        Assert.StartsWith("1) Pack it", answer.Text);
        Assert.IsType<FlowStep.Answer>(QaFlow.Next(Returns, "return", null, "process", 0));
    }

    [Fact]
    public void An_answer_not_understood_is_asked_once_more_then_handed_over()
    {
        var retry = Assert.IsType<FlowStep.Ask>(QaFlow.Next(Returns, "root", "banana", null, 0));
        Assert.True(retry.Retry);
        Assert.IsType<FlowStep.HandOver>(QaFlow.Next(Returns, "root", "banana", null, 1));
        Assert.IsType<FlowStep.HandOver>(QaFlow.Next(Returns, "root", "0", null, 0));
        Assert.IsType<FlowStep.HandOver>(QaFlow.Next(Returns, "root", "3", null, 0));
    }

    [Fact]
    public void Broken_flows_are_refused()
    {
        var broken = new FlowDefinition("nope", new Dictionary<string, FlowNode> { ["a"] = new("Q", [new("x", "X", Next: "missing")]) });
        var errors = QaFlow.Validate(broken);
        Assert.Contains(errors, e => e.StartsWith("start"));
        Assert.Contains(errors, e => e.Contains("no node 'missing'"));
        Assert.Empty(QaFlow.Validate(Returns));
    }
}
