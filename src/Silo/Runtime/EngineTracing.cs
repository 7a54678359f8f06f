using System.Diagnostics;

namespace Engine.Silo.Runtime;

/// <summary>
/// The engine's spans (activity source <c>Engine</c>): a group commit of webhook deliveries (parented to the first
/// delivery's trace, linked to the others'), and each outbox attempt (parented to the trace that queued the row, so a
/// provider send joins the webhook or API call it answers). A row remembers its trace through the transaction that
/// wrote it (<see cref="Transactions"/> sets <c>engine.trace_parent</c> for it when the trace is recorded).
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "Engine";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The W3C <c>traceparent</c> of the current span when it is recorded (sampled), else null.</summary>
    public static string? CurrentParent() => Activity.Current is { Recorded: true } a ? a.Id : null;

    public static ActivityContext Parse(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
}
