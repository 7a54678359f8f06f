using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// An OTLP/HTTP collector on a loopback port: keeps every span the engine exports (<c>POST /v1/traces</c>,
/// protobuf), read with the few fields of <c>ExportTraceServiceRequest</c> the tests look at.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    public sealed record Span(string Scope, string TraceId, string SpanId, string ParentSpanId, string Name);

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Span> _spans = new();
    private readonly Task _loop;

    public string Endpoint { get; }

    public OtlpCollector()
    {
        Endpoint = $"http://127.0.0.1:{EngineHost.FreePort()}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public IReadOnlyList<Span> Spans => _spans.ToArray();

    public IReadOnlyList<Span> Trace(string traceId) => _spans.Where(s => s.TraceId == traceId).ToArray();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            if (ctx.Request.Url!.AbsolutePath == "/v1/traces")
                foreach (var span in ReadTraces(body.ToArray())) _spans.Enqueue(span);
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/x-protobuf";
            ctx.Response.Close();
        }
    }

    /// <summary>ExportTraceServiceRequest { 1: ResourceSpans { 2: ScopeSpans { 1: scope { 1: name }, 2: Span {
    /// 1: trace_id, 2: span_id, 4: parent_span_id, 5: name } } } }.</summary>
    private static IEnumerable<Span> ReadTraces(byte[] request)
    {
        foreach (var resource in Fields(request).Where(f => f.Number == 1))
            foreach (var scopeSpans in Fields(resource.Bytes).Where(f => f.Number == 2))
            {
                var fields = Fields(scopeSpans.Bytes).ToList();
                var scope = fields.Where(f => f.Number == 1).Select(f => Text(Fields(f.Bytes), 1)).FirstOrDefault() ?? "";
                foreach (var span in fields.Where(f => f.Number == 2).Select(f => Fields(f.Bytes).ToList()))
                    yield return new Span(scope, Hex(span, 1), Hex(span, 2), Hex(span, 4), Text(span, 5));
            }
    }

    private static string Hex(List<(int Number, byte[] Bytes)> fields, int number) =>
        Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Number == number).Bytes ?? []);

    private static string Text(IEnumerable<(int Number, byte[] Bytes)> fields, int number) =>
        Encoding.UTF8.GetString(fields.FirstOrDefault(f => f.Number == number).Bytes ?? []);

    /// <summary>The length-delimited fields of one protobuf message (the others skipped).</summary>
    private static IEnumerable<(int Number, byte[] Bytes)> Fields(byte[] message)
    {
        var i = 0;
        while (i < message.Length)
        {
            var tag = Varint(message, ref i);
            switch (tag & 7)
            {
                case 0: Varint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    yield return ((int)(tag >> 3), message[i..(i + length)]);
                    i += length;
                    break;
                default: throw new InvalidDataException($"wire type {tag & 7}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
