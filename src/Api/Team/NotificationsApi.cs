using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Team;

/// <summary>Which notifications to mark read: these ids, or every one when none are given.</summary>
public sealed record MarkReadRequest(IReadOnlyList<long>? Ids);

/// <summary>The business's unread notifications for the caller.</summary>
public sealed record UnreadView(int Unread);

/// <summary>
/// What supervisors must be told — a rating under 4, a raised alert (a VIP waiting among them), a paused webhook —
/// for every Editor and Administrator, each marking them read for themself; each new one is also a
/// <c>notification.created</c> event on the live stream.
/// </summary>
public static class NotificationsApi
{
    public static void MapNotifications(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/notifications").WithTags("Team")
            .RequireAuthorization(Permissions.ManageConversations);
        g.MapGet("/", List)
            .WithSummary("Newest first, each with read = whether you read it; unread=true for the unread ones only.");
        g.MapGet("/unread", Unread).WithSummary("How many you have not read.");
        g.MapPost("/read", MarkRead).WithSummary(
            "Marks the given ids (or all) read for you; needs a signed-in user or an API key issued for one " +
            "(user_required).");
    }

    private static async Task<Ok<IReadOnlyList<NotificationView>>> List(HttpContext http, NotificationStore s,
        CancellationToken ct, bool unread = false) =>
        TypedResults.Ok(await s.ListAsync(http.User.BusinessId(), http.User.UserId(), unread, ct));

    private static async Task<Ok<UnreadView>> Unread(HttpContext http, NotificationStore s, CancellationToken ct) =>
        TypedResults.Ok(new UnreadView(await s.UnreadAsync(http.User.BusinessId(), http.User.UserId(), ct)));

    private static async Task<Results<Ok<UnreadView>, ProblemHttpResult, ValidationProblem>> MarkRead(
        MarkReadRequest? r, HttpContext http, NotificationStore s, CancellationToken ct)
    {
        var v = new Validation().Require(r?.Ids is null || r.Ids.Count is > 0 and <= 500, "ids",
            "Between 1 and 500 ids, or none for all.");
        if (!v.IsValid) return v.Problem();
        if (http.User.UserId() is not { } user)
            return Problems.Of(400, "user_required",
                "Read marks are per user: sign in, or use an API key issued for a user.");
        await s.MarkReadAsync(http.User.BusinessId(), user, r?.Ids, ct);
        return TypedResults.Ok(new UnreadView(await s.UnreadAsync(http.User.BusinessId(), user, ct)));
    }
}
