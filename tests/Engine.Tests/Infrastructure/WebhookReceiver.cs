using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Infrastructure;

/// <summary>A CRM's webhook endpoint over real HTTP that records what it receives and can be told to fail or stall.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(string Body, IReadOnlyDictionary<string, string> Headers);

    private readonly WebApplication _app;
    private int _failures, _stalls;
    public ConcurrentQueue<Received> Deliveries { get; } = new();
    public string Url { get; private set; } = "";
    public TimeSpan StallFor { get; set; } = TimeSpan.FromSeconds(3);

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            if (Interlocked.Decrement(ref receiver._stalls) >= 0)
            {
                // A stalled receiver whose caller gave up records nothing (the sender will try again).
                try { await Task.Delay(receiver.StallFor, request.HttpContext.RequestAborted); }
                catch (OperationCanceledException) { return Results.StatusCode(499); }
            }
            if (Interlocked.Decrement(ref receiver._failures) >= 0) return Results.StatusCode(500);
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            receiver.Deliveries.Enqueue(new Received(body, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return receiver;
    }

    public void FailNext(int count) => Interlocked.Exchange(ref _failures, count);
    public void StallNext(int count) => Interlocked.Exchange(ref _stalls, count);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
