using System.Diagnostics;
using System.Net.Http.Json;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace Engine.Tests.Silo;

/// <summary>A node with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set exports its traces there.</summary>
public sealed class TracedFixture : OutboundFixture
{
    public OtlpCollector Collector { get; } = new();

    public override async Task InitializeAsync()
    {
        Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = Collector.Endpoint;
        Settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Collector.DisposeAsync();
    }
}

/// <summary>One trace from the webhook through the grain calls to the commit and on to the provider send, exported
/// by OTLP over HTTP; log lines carry the trace id.</summary>
public class TracingTests(TracedFixture f) : IClassFixture<TracedFixture>
{
    private static (string TraceId, string Header) NewTrace()
    {
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        return (trace, $"00-{trace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
    }

    /// <summary>The trace's exported spans, once the send's span is among them: the node's own dispatcher may have run
    /// the send, its span ending just after the drain returned (bounded wait).</summary>
    private IReadOnlyList<OtlpCollector.Span> Exported(string traceId)
    {
        IReadOnlyList<OtlpCollector.Span> spans = [];
        for (var i = 0; i < 50; i++)
        {
            Assert.True(f.Host.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
            spans = f.Collector.Trace(traceId);
            if (spans.Any(s => s.Scope == EngineTracing.SourceName && s.Name == "outbox message.send")) break;
            Thread.Sleep(100);
        }
        return spans;
    }

    [Fact]
    public async Task A_webhook_the_bot_answers_is_one_trace_from_the_request_through_grains_and_commit_to_the_send()
    {
        var rule = await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", new
        {
            name = "Opening hours", trigger = "keyword", keywords = new[] { "traced" }, variants = new[] { "We open at 9." },
        });
        rule.EnsureSuccessStatusCode();
        var (trace, header) = NewTrace();
        var client = f.Host.CreateClient();
        client.DefaultRequestHeaders.Add("traceparent", header);
        var phone = "7717" + Random.Shared.NextInt64(1_000_000, 9_999_999);
        var sent = f.Provider.SendRequests;
        (await Wa.PostAsync(client, f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "traced"))).EnsureSuccessStatusCode();
        await f.DrainAsync();
        Assert.True(f.Provider.SendRequests > sent, "the bot's answer reached the provider");

        var spans = Exported(trace);
        var names = string.Join(", ", spans.Select(s => $"{s.Scope}:{s.Name}"));
        Assert.Contains(spans, s => s.Scope == "Microsoft.AspNetCore" && s.Name.StartsWith("POST"));
        Assert.Contains(spans, s => s.Scope.StartsWith("Microsoft.Orleans") && s.Name.Contains("CustomerGrain"));
        var commit = Assert.Single(spans, s => s.Scope == EngineTracing.SourceName && s.Name == "ingest commit");
        Assert.Contains(spans, s => s.Scope == "Npgsql" && s.ParentSpanId == commit.SpanId);
        var send = Assert.Single(spans, s => s.Scope == EngineTracing.SourceName && s.Name == "outbox message.send");
        Assert.True(spans.Any(s => s.Scope == "System.Net.Http" && s.ParentSpanId == send.SpanId), names);
    }

    [Fact]
    public async Task An_agents_reply_is_traced_from_the_api_call_to_the_providers_answer()
    {
        var conversation = await f.CustomerWritesAsync("7718" + Random.Shared.NextInt64(1_000_000, 9_999_999));
        var (trace, header) = NewTrace();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages")
        {
            Content = JsonContent.Create(new { type = "text", text = "On its way" }),
        };
        request.Headers.Add("traceparent", header);
        (await f.Admin.SendAsync(request)).EnsureSuccessStatusCode();
        await f.DrainAsync();

        var spans = Exported(trace);
        var names = string.Join(", ", spans.Select(s => $"{s.Scope}:{s.Name}"));
        Assert.True(spans.Any(s => s.Scope.StartsWith("Microsoft.Orleans")), names);
        var send = Assert.Single(spans, s => s.Scope == EngineTracing.SourceName && s.Name == "outbox message.send");
        Assert.True(spans.Any(s => s.Scope == "System.Net.Http" && s.ParentSpanId == send.SpanId), names);
    }

    [Fact]
    public void Log_lines_written_inside_a_trace_carry_its_trace_id()
    {
        var captured = new CapturingLogs();
        f.Host.Services.GetRequiredService<ILoggerFactory>().AddProvider(captured);
        using (var span = EngineTracing.Source.StartActivity("logging test"))
        {
            Assert.NotNull(span);
            f.Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Engine.Test").LogWarning("inside");
            Assert.Equal(span.TraceId.ToHexString(), Assert.Single(captured.Lines, l => l.Message == "inside").TraceId);
        }
    }

    private sealed class CapturingLogs : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
        public List<(string Message, string? TraceId)> Lines { get; } = [];

        public void SetScopeProvider(IExternalScopeProvider scopes) => _scopes = scopes;

        public ILogger CreateLogger(string category) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(CapturingLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
            public bool IsEnabled(LogLevel level) => true;

            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format)
            {
                string? trace = null;
                owner._scopes.ForEachScope((scope, _) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> values)
                        foreach (var (key, value) in values)
                            if (key == "TraceId") trace = value?.ToString();
                }, (object?)null);
                lock (owner.Lines) owner.Lines.Add((format(state, e), trace));
            }
        }
    }
}
