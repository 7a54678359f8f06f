using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Integrations;

public sealed record WebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Description, string? Secret, bool? Resume);
public sealed record CreatedWebhook(WebhookView Webhook, string Secret);
public sealed record ReplayRequest(IReadOnlyList<long>? EventIds);

/// <summary>
/// Outbound webhooks to a CRM or any URL. Each delivery: a JSON body {id, type, occurredAt, businessId, data},
/// headers X-Engine-Event, X-Engine-Timestamp and X-Engine-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body).
/// In order per conversation (and per contact); retried with exponential back-off; a subscription failing for 24 hours is paused.
/// </summary>
public static class WebhooksApi
{
    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/webhooks").WithTags("Integrations").RequireAuthorization(Permissions.ManageSettings);
        g.MapPost("/", Create).WithSummary($"Subscribe a URL to events: {string.Join(", ", WebhookStore.EventTypes)}. The signing secret is returned once (or give your own).");
        g.MapGet("/", async (HttpContext h, WebhookStore s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(h.User.BusinessId(), ct)));
        g.MapGet("/{id:guid}", Get);
        g.MapPatch("/{id:guid}", Update).WithSummary("Change url, events, description or secret; resume=true lifts a pause.");
        g.MapDelete("/{id:guid}", Delete)
            .WithSummary("Delete a subscription; its pending deliveries are cancelled. Answers what was removed.");
        g.MapGet("/{id:guid}/attempts", Attempts).WithSummary("The delivery log: every attempt with the receiver's status code, newest first.");
        g.MapGet("/{id:guid}/deliveries", Deliveries).WithSummary("Each event's delivery: pending, done or failed (status filter).");
        g.MapPost("/{id:guid}/replay", Replay).WithSummary("Deliver again, in order: the given eventIds, or every failed delivery when none are given.");
    }

    private static Validation Validate(WebhookRequest r, bool creating, WebhookTargets targets)
    {
        var url = r.Url is not null && Uri.TryCreate(r.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u : null;
        var internalTarget = url is null ? null : targets.Problem(url);
        return new Validation()
            .Require(!creating || r.Url is not null, "url", "Required.")
            .Require(r.Url is null || url is not null, "url", "An absolute http(s) URL.")
            .Require(internalTarget is null, "url", internalTarget ?? "")
            .Require(!creating || r.Events is { Count: > 0 }, "events", "At least one event type.")
            .Require(r.Events is null || r.Events.All(WebhookStore.EventTypes.Contains), "events", $"Among {string.Join(", ", WebhookStore.EventTypes)}.")
            .Require(r.Secret is null || r.Secret.Length is >= 16 and <= 200, "secret", "16 to 200 characters.");
    }

    private static async Task<Results<Created<CreatedWebhook>, ValidationProblem>> Create(WebhookRequest r, HttpContext http, WebhookStore s,
        WebhookTargets targets, CancellationToken ct)
    {
        var v = Validate(r, creating: true, targets);
        if (!v.IsValid) return v.Problem();
        var (view, secret) = await s.CreateAsync(http.User.Actor(), r.Url!, r.Events!, r.Description, r.Secret, ct);
        return TypedResults.Created($"/api/v1/webhooks/{view.Id}", new CreatedWebhook(view, secret));
    }

    private static async Task<Results<Ok<WebhookView>, ProblemHttpResult>> Get(Guid id, HttpContext http, WebhookStore s, CancellationToken ct) =>
        await s.GetAsync(http.User.BusinessId(), id, ct) is { } w ? TypedResults.Ok(w) : Problems.NotFound("webhook", id);

    private static async Task<Results<Ok<WebhookView>, ValidationProblem, ProblemHttpResult>> Update(Guid id, WebhookRequest r, HttpContext http, WebhookStore s,
        WebhookTargets targets, CancellationToken ct)
    {
        var v = Validate(r, creating: false, targets);
        if (!v.IsValid) return v.Problem();
        return await s.UpdateAsync(http.User.Actor(), id, r.Url, r.Events, r.Description, r.Secret, r.Resume == true, ct) is { } w
            ? TypedResults.Ok(w) : Problems.NotFound("webhook", id);
    }

    private static async Task<Results<Ok<WebhookDeleted>, ProblemHttpResult>> Delete(Guid id, HttpContext http, WebhookStore s,
        CancellationToken ct) =>
        await s.DeleteAsync(http.User.Actor(), id, ct) is { } deleted
            ? TypedResults.Ok(deleted) : Problems.NotFound("webhook", id);

    private static async Task<Results<Ok<IReadOnlyList<WebhookAttempt>>, ProblemHttpResult>> Attempts(Guid id, HttpContext http, WebhookStore s, CancellationToken ct, int limit = 100) =>
        await s.GetAsync(http.User.BusinessId(), id, ct) is null ? Problems.NotFound("webhook", id) : TypedResults.Ok(await s.AttemptsAsync(id, Math.Clamp(limit, 1, 500), ct));

    private static async Task<Results<Ok<IReadOnlyList<DeliveryView>>, ProblemHttpResult>> Deliveries(Guid id, HttpContext http, WebhookStore s, CancellationToken ct,
        string? status = null, int limit = 100) =>
        await s.GetAsync(http.User.BusinessId(), id, ct) is null ? Problems.NotFound("webhook", id) : TypedResults.Ok(await s.DeliveriesAsync(id, status, Math.Clamp(limit, 1, 500), ct));

    private static async Task<Results<Ok<int>, ProblemHttpResult>> Replay(Guid id, ReplayRequest r, HttpContext http, WebhookStore s, CancellationToken ct) =>
        await s.GetAsync(http.User.BusinessId(), id, ct) is null ? Problems.NotFound("webhook", id) : TypedResults.Ok(await s.ReplayAsync(http.User.Actor(), id, r.EventIds, ct));
}
