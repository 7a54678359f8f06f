using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Live;
using Engine.Silo.Runtime;

namespace Engine.Api.Live;

/// <summary>The live-update stream of the web app (server-sent events), and the test environment's clock.</summary>
public static class LiveApi
{
    public static void MapLive(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/stream", Stream).WithTags("Live").RequireAuthorization(Permissions.Authenticated)
            .WithSummary("Server-sent events: every change in the business as it happens; `data:` is {id, type (message.received, conversation.assigned, " +
                         "message.status, alert.raised…), entityType, entityId, at, agentId}. Read the details through the REST API. " +
                         "A comment line every 15 s keeps the connection open; reconnecting resumes with the events that follow.");

    private static async Task Stream(HttpContext h, EventStream events, CancellationToken ct)
    {
        h.Response.ContentType = "text/event-stream";
        h.Response.Headers.CacheControl = "no-cache";
        h.Response.Headers["X-Accel-Buffering"] = "no";
        var (id, reader) = await events.SubscribeAsync(h.User.BusinessId(), ct);
        try
        {
            await h.Response.WriteAsync("retry: 2000\n: connected\n\n", ct);
            await h.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                bool more;
                try { more = await reader.WaitToReadAsync(wait.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await h.Response.WriteAsync(": keep-alive\n\n", ct);
                    await h.Response.Body.FlushAsync(ct);
                    continue;
                }
                if (!more) return;
                while (reader.TryRead(out var e))
                    await h.Response.WriteAsync($"id: {e.Id}\ndata: {EventStream.Serialize(e)}\n\n", ct);
                await h.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally { events.Unsubscribe(id); }
    }

    /// <summary>
    /// Test environment only: moves the injected clock forward and fires the deadlines that fell due (through their
    /// grains), then runs this node's outbox.
    /// </summary>
    public static void MapTestClock(this IEndpointRouteBuilder app) =>
        app.MapPost("/test/clock/advance", async (TimeProvider clock, IServiceProvider services, DeadlineSweep deadlines,
            OutboxDispatcher outbox, CancellationToken ct, int seconds = 0) =>
        {
            if (services.GetService<IAdjustableClock>() is not { } adjustable)
                return Problems.Of(409, "clock_fixed", "This node's clock cannot be moved.");
            if (seconds is < 0 or > 30 * 86400) return Problems.Invalid("seconds", "Between 0 and 2592000.");
            adjustable.Advance(TimeSpan.FromSeconds(seconds));
            await deadlines.RunDueAsync(ct);
            for (var i = 0; i < 20 && await outbox.RunDueAsync(ct) > 0; i++) { }
            return Results.Ok(new { now = clock.GetUtcNow() });
        }).AllowAnonymous().ExcludeFromDescription();
}
