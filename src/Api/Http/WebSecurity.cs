using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Engine.Api.Http;

/// <summary>
/// What protects people using the web app: forwarded headers trusted only from the configured proxies (so the session
/// cookie is <c>Secure</c> behind a TLS-terminating proxy), an <c>Origin</c> check on unsafe requests that ride on the
/// session cookie (API-key and bearer requests are not affected: a browser never adds those by itself), and the
/// browser security headers on every response.
/// </summary>
public static class WebSecurity
{
    /// <summary>Content-Security-Policy of the web app: its own scripts only, nothing inline, never framed.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        + "connect-src 'self'; "
        + "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Orleans' dashboard (Administrators only) styles its React views inline and embeds its fonts: the same
    /// policy with inline styles and data: fonts allowed, scripts still its own only.</summary>
    public const string DashboardSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        + "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        + "frame-ancestors 'none'";

    private static readonly HashSet<string> Safe =
        new(StringComparer.OrdinalIgnoreCase) { "GET", "HEAD", "OPTIONS", "TRACE" };

    /// <summary>
    /// <c>Engine:Security:TrustedProxies</c>: addresses or CIDR ranges (comma-separated) whose X-Forwarded-For/-Proto
    /// are
    /// believed. Empty (the default) believes no one, not even loopback.
    /// </summary>
    public static IServiceCollection AddWebSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var trusted = (configuration["Engine:Security:TrustedProxies"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        services.AddSingleton(new TrustedProxies(trusted.Length > 0));
        return services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders =
                ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var entry in trusted)
            {
                if (entry.Contains('/')) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                else o.KnownProxies.Add(IPAddress.Parse(entry));
            }
        });
    }

    /// <summary>Whether any proxy is trusted (empty lists in the options would mean "any").</summary>
    private sealed record TrustedProxies(bool Any);

    public static IApplicationBuilder UseWebSecurity(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<TrustedProxies>().Any) app.UseForwardedHeaders();
        return app.Use(async (http, next) =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            // Swagger UI runs inline script of its own; everything else (the web app, the API) gets the strict policy.
            if (!http.Request.Path.StartsWithSegments("/swagger"))
            {
                headers.ContentSecurityPolicy = http.Request.Path.StartsWithSegments("/dashboard")
                    ? DashboardSecurityPolicy : ContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
            }
            if (RidesOnCookie(http.Request) && !SameOrigin(http.Request))
            {
                await Problems.Of(403, "origin_mismatch",
                    "A request authenticated by the session cookie must come from this site "
                    + "(its Origin header must match).")
                    .ExecuteAsync(http);
                return;
            }
            await next();
        });
    }

    /// <summary>An unsafe request whose only credential is the session cookie (what a forged cross-site form would
    /// send).</summary>
    private static bool RidesOnCookie(HttpRequest r) =>
        !Safe.Contains(r.Method)
        && r.Cookies.ContainsKey(Access.ApiKeyAuthentication.SessionCookie)
        && !r.Headers.ContainsKey("X-Api-Key")
        && !r.Headers.Authorization.Any(a => a?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true);

    private static bool SameOrigin(HttpRequest r)
    {
        var origin = r.Headers.Origin.FirstOrDefault();
        if (string.IsNullOrEmpty(origin) || origin == "null")
            origin = Uri.TryCreate(r.Headers.Referer.FirstOrDefault(), UriKind.Absolute, out var referer)
                ? referer.GetLeftPart(UriPartial.Authority) : null;
        return origin is not null && Uri.TryCreate(origin, UriKind.Absolute, out var o)
            && string.Equals(o.Scheme, r.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(o.Authority, r.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
