using System.Globalization;
using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Silo.Usage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Usage;

public static class UsageApi
{
    public static void MapUsage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/usage", Get).WithTags("Usage").RequireAuthorization(Permissions.ReadReports)
            .WithSummary("The month's messages and cost (USD, exact decimals) by channel, category and day, and a forecast from the daily run-rate. " +
                         "Service replies inside the window are free; business-initiated messages (templates, anything outside the window) are free " +
                         "up to 1,000 a month, then priced by the recipient's region; each message outside the window adds USD 0.01.");
    }

    private static async Task<Results<Ok<UsageReport>, ValidationProblem>> Get(HttpContext http, UsageLedger ledger, TimeProvider clock, CancellationToken ct, string? month = null)
    {
        DateOnly first;
        if (month is null) { var now = clock.GetUtcNow(); first = new DateOnly(now.Year, now.Month, 1); }
        else if (!DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out first))
            return Problems.Invalid("month", "Use YYYY-MM, e.g. 2026-03.");
        return TypedResults.Ok(await ledger.ReportAsync(http.User.BusinessId(), first, ct));
    }
}
