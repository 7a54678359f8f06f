namespace Engine.Grains.Automation;

/// <summary>One answer a customer can give at a node: a button (or its number), or its keywords typed ("reply RETURN PROCESS").</summary>
public sealed record FlowOption(string Id, string Title, IReadOnlyList<string>? Keywords = null, string? Next = null, string? Answer = null, bool HandOver = false);
public sealed record FlowNode(string Text, IReadOnlyList<FlowOption> Options);
/// <summary>A QA flow: a small tree of questions; every node also offers the way to a human.</summary>
public sealed record FlowDefinition(string Start, IReadOnlyDictionary<string, FlowNode> Nodes);

public abstract record FlowStep
{
    /// <summary>Ask the node's question (again, when <paramref name="Retry"/>).</summary>
    public sealed record Ask(string Node, string Text, IReadOnlyList<BotButton> Buttons, bool Retry = false) : FlowStep;
    /// <summary>The final (layered) answer: the flow resolved the question.</summary>
    public sealed record Answer(string Text) : FlowStep;
    public sealed record HandOver(string Why) : FlowStep;
}

/// <summary>
/// Runs a QA flow. Up to two options are reply buttons (with "Talk to an agent" as the third); more are a
/// numbered list ("0" for an agent). An answer not understood is asked once more, then the flow hands over:
/// a flow that does not resolve ends with a person.
/// </summary>
public static class QaFlow
{
    public static IReadOnlyList<string> Validate(FlowDefinition f)
    {
        var errors = new List<string>();
        if (!f.Nodes.ContainsKey(f.Start)) errors.Add($"start: no node '{f.Start}'.");
        foreach (var (id, node) in f.Nodes)
        {
            if (string.IsNullOrWhiteSpace(node.Text) || node.Text.Length > AutoReplyRules.MaxLength) errors.Add($"nodes.{id}.text: 1 to {AutoReplyRules.MaxLength} characters.");
            if (node.Options.Count is < 1 or > 9) errors.Add($"nodes.{id}.options: 1 to 9 options.");
            foreach (var o in node.Options)
            {
                if (string.IsNullOrWhiteSpace(o.Title) || o.Title.Length > AutoReplyRules.MaxButtonTitle) errors.Add($"nodes.{id}.options.{o.Id}.title: 1 to {AutoReplyRules.MaxButtonTitle} characters.");
                var ends = (o.Next is null ? 0 : 1) + (o.Answer is null ? 0 : 1) + (o.HandOver ? 1 : 0);
                if (ends != 1) errors.Add($"nodes.{id}.options.{o.Id}: exactly one of next, answer, handOver.");
                if (o.Next is not null && !f.Nodes.ContainsKey(o.Next)) errors.Add($"nodes.{id}.options.{o.Id}.next: no node '{o.Next}'.");
                if (o.Answer is { Length: > AutoReplyRules.MaxLength }) errors.Add($"nodes.{id}.options.{o.Id}.answer: at most {AutoReplyRules.MaxLength} characters.");
            }
        }
        return errors;
    }

    public static FlowStep Start(FlowDefinition f) => AskNode(f, f.Start, retry: false);

    /// <summary>The customer answered at <paramref name="node"/>; <paramref name="misses"/> is how many answers there were not understood.</summary>
    public static FlowStep Next(FlowDefinition f, string node, string? text, string? buttonId, int misses)
    {
        if (!f.Nodes.TryGetValue(node, out var current)) return new FlowStep.HandOver("the flow changed under the conversation");
        var option = Pick(current, text, buttonId);
        if (option is null)
        {
            if (text?.Trim() == "0") return new FlowStep.HandOver("the customer asked for an agent");
            return misses >= 1 ? new FlowStep.HandOver("the flow could not understand the answer") : AskNode(f, node, retry: true);
        }
        if (option.HandOver) return new FlowStep.HandOver($"the customer chose '{option.Title}'");
        if (option.Answer is { } answer) return new FlowStep.Answer(answer);
        return AskNode(f, option.Next!, retry: false);
    }

    private static FlowOption? Pick(FlowNode node, string? text, string? buttonId)
    {
        if (buttonId is not null && node.Options.FirstOrDefault(o => o.Id == buttonId) is { } byButton) return byButton;
        if (text is null) return null;
        var t = text.Trim();
        if (int.TryParse(t, out var n) && n >= 1 && n <= node.Options.Count) return node.Options[n - 1];
        return node.Options.FirstOrDefault(o => KeywordMatcher.Matches(t, o.Title) || (o.Keywords ?? []).Any(k => KeywordMatcher.Matches(t, k)));
    }

    private static FlowStep AskNode(FlowDefinition f, string id, bool retry)
    {
        var node = f.Nodes[id];
        if (node.Options.Count <= 2)
            return new FlowStep.Ask(id, (retry ? "Sorry, I didn't get that. " : "") + node.Text,
                [.. node.Options.Select(o => new BotButton(o.Id, o.Title)), new BotButton(AutoReplyRules.TalkToAgentId, AutoReplyRules.TalkToAgentTitle)], retry);
        var list = string.Join("\n", node.Options.Select((o, i) => $"{i + 1}. {o.Title}")) + "\n0. Talk to an agent";
        return new FlowStep.Ask(id, (retry ? "Sorry, I didn't get that. " : "") + node.Text + "\n" + list, [], retry);
    }
}
