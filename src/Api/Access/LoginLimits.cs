using System.Globalization;
using System.Threading.RateLimiting;
using Engine.Api.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Engine.Api.Access;

/// <summary>
/// Limits on the log-in endpoint: a sliding per-minute budget of attempts per client address (ASP.NET Core's rate
/// limiter; key <c>Engine:Security:LoginAttemptsPerMinute</c>, default 10), answered 429 with <c>Retry-After</c>, and a
/// 4 KB cap on the request body. Per-account failures are counted in the database (<see
/// cref="Silo.Access.LoginThrottle"/>).
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
                _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0,
                }));
            o.OnRejected = async (context, ct) =>
            {
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)
                    ? after : TimeSpan.FromSeconds(10);
                var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.Of(429, "too_many_attempts",
                        $"At most {perMinute} log-in attempts a minute from one address.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
    }

    /// <summary>Refuses a log-in body over the cap before it is read (the server's own limit also applies where it
    /// has one).</summary>
    public static IApplicationBuilder UseLoginBodyCap(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/api/v1/auth/login"),
            branch => branch.Use(RefuseLargeBodies));

    private static async Task RefuseLargeBodies(HttpContext http, Func<Task> next)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await Problems.Of(413, "payload_too_large", $"Log-in bodies are limited to {MaxBodyBytes} bytes.")
                .ExecuteAsync(http);
            return;
        }
        await next();
    }
}
