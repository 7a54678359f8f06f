using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Engine.Api.Access;

/// <summary>
/// Limits on the log-in endpoint: a sliding per-minute budget of attempts per client address (ASP.NET Core's rate
/// limiter; key <c>Engine:Security:LoginAttemptsPerMinute</c>, default 10), answered 429 with <c>Retry-After</c>, and a
/// 4 KB cap on the request body. Per-account failures are counted in the database (<see cref="Silo.Access.LoginThrottle"/>).
/// </summary>
public static class LoginLimits
{
    public const string Policy = "login";
    public const int MaxBodyBytes = 4 * 1024;

    public static IServiceCollection AddLoginLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var perMinute = configuration.GetValue("Engine:Security:LoginAttemptsPerMinute", 10);
        return services.AddRateLimiter(o =>
        {
            o.AddPolicy(Policy, http => RateLimitPartition.GetSlidingWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new SlidingWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0 }));
            o.OnRejected = async (context, ct) =>
            {
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(10);
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: 429, title: "Too Many Requests",
                    detail: $"At most {perMinute} log-in attempts a minute from one address.",
                    extensions: new Dictionary<string, object?> { ["code"] = "too_many_attempts" }).ExecuteAsync(context.HttpContext);
            };
        });
    }

    /// <summary>Refuses a log-in body over the cap before it is read (the server's own limit also applies where it has one).</summary>
    public static IApplicationBuilder UseLoginBodyCap(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/api/v1/auth/login"), branch => branch.Use(async (http, next) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes)
            {
                await Results.Problem(statusCode: 413, title: "Payload Too Large", detail: $"Log-in bodies are limited to {MaxBodyBytes} bytes.",
                    extensions: new Dictionary<string, object?> { ["code"] = "payload_too_large" }).ExecuteAsync(http);
                return;
            }
            await next();
        }));
}
