using Engine.Grains.Interfaces.Runtime;
using Microsoft.AspNetCore.Diagnostics;

namespace Engine.Api.Http;

/// <summary>A grain's refusal becomes a problem-details answer carrying its code (and, for a lock, who holds it until when).</summary>
public sealed class RefusedHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not RefusedException refused) return false;
        http.Response.StatusCode = StatusOf(refused.Code);
        var details = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = http.Response.StatusCode, Title = "The request was refused.", Detail = refused.Message };
        details.Extensions["code"] = refused.Code;
        if (refused.Details is not null) details.Extensions["details"] = refused.Details;
        return await problems.TryWriteAsync(new() { HttpContext = http, ProblemDetails = details, Exception = exception });
    }

    /// <summary>The HTTP status a refusal's code answers with.</summary>
    public static int StatusOf(string code) => code switch
    {
        "not_found" => 404,
        "forbidden" or "not_assigned" or "not_your_team" or "user_required" => 403,
        "comment_required" or "invalid_target" or "invalid_attribute" or "invalid_phone" or "invalid_merge" or "invalid_label"
            or "unknown_alert" or "invalid_threshold" or "unknown_template" or "template_parameters" => 400,
        "idempotency_key_reused" => 422,
        "unsupported_media_type" => 415,
        "attachment_too_large" => 413,
        "provider_error" => 502,
        _ => 409,
    };
}
