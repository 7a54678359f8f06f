using System.Diagnostics;
using Engine.Api.Access;
using Engine.Silo.Access;
using Engine.Silo.Hosting;
using Engine.Silo.Runtime;
using Microsoft.AspNetCore.Authorization;

namespace Engine.Api.Operations;

/// <summary>
/// <c>/metrics</c> in Prometheus' text format, for a scraper on the operators' network: anonymous from the addresses in
/// <c>Engine:Metrics:AllowedNetworks</c> (CIDR ranges or addresses, comma-separated; none by default), otherwise only
/// with an Administrator's key. And the webhook deliveries' count and acknowledgement time, measured around them.
/// </summary>
public static class MetricsApi
{
    public const string Policy = "metrics";

    public static IServiceCollection AddMetricsAccess(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.RequireAssertion(ctx =>
            ctx.User.IsInRole(Roles.Administrator)
            || (ctx.Resource is HttpContext http && http.RequestServices.GetRequiredService<MetricsNetworks>().Allows(http))));
        return services;
    }

    public static void MapMetrics(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Policy).WithTags("Operations");

    /// <summary>Counts every answer to a provider's webhook (<c>/webhooks/{kind}/…</c>) by outcome, with its time.</summary>
    public static IApplicationBuilder UseWebhookMetrics(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var path = http.Request.Path.Value ?? "";
        if (!path.StartsWith("/webhooks/", StringComparison.Ordinal) || !HttpMethods.IsPost(http.Request.Method))
        {
            await next(http);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try { await next(http); }
        finally
        {
            var kind = path.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "unknown";
            http.RequestServices.GetRequiredService<EngineMetrics>().WebhookAnswered(kind is "whatsapp" or "wechat" ? kind : "unknown",
                http.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    });
}
