using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Engine.Api.Http;

/// <summary>
/// The OpenAPI document's credentials and error answers: an HTTP bearer scheme (an API key or a log-in session —
/// Swagger UI's "Authorize" sends <c>Authorization: Bearer …</c>) required by every operation that needs one, and each
/// operation's problem answers with the <c>code</c>s they carry: 401 and 403 where credentials are needed, 404 for a
/// resource in the path, 400 for a body or query, 409 for a state that refuses the change — and, for an operation that
/// declares them (<see cref="Refusals"/>), exactly the codes it refuses with, under the status each answers.
/// </summary>
public sealed class OpenApiSecurity : IOperationFilter
{
    public const string Scheme = "bearer";

    public static OpenApiSecurityScheme Definition => new()
    {
        Type = SecuritySchemeType.Http, Scheme = "bearer",
        Description = "An API key (Settings → API keys, or the bootstrap key) or a session token from "
            + "POST /api/v1/auth/login. 'X-Api-Key: <key>' works too.",
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var declared = metadata.OfType<Refusals>().SelectMany(r => r.Codes).ToList();
        if (declared.Any(c => RefusedHandler.StatusOf(c) == 403)) declared.Add("forbidden");   // a role refused, as ever
        foreach (var status in declared.Distinct().GroupBy(RefusedHandler.StatusOf).OrderBy(g => g.Key))
        {
            var codes = "code " + string.Join(", ", status.Order().Select(c => $"`{c}`")) + ".";
            operation.Responses ??= new OpenApiResponses();
            operation.Responses[status.Key.ToString()] = new OpenApiResponse
            {
                Description = status.Key switch
                {
                    403 => "The caller may not do this to this resource — " + codes,
                    400 => "A field or parameter is not valid — code `validation_failed`, with `errors` per field; "
                        + "or the request is refused — " + codes,
                    422 => "The request cannot be processed — " + codes,
                    _ => "The current state refuses the change — " + codes,
                },
            };
        }
        var secured = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        var method = context.ApiDescription.HttpMethod ?? "GET";
        var path = context.ApiDescription.RelativePath ?? "";
        if (secured)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] });
            Add(operation, "401", "No credentials, or a key or session that is not valid — code `unauthenticated`.");
            Add(operation, "403", "The caller's role may not do this — code `forbidden` (agents: `not_assigned`, `not_your_team`).");
        }
        if (path.Contains('{')) Add(operation, "404", "Nothing with that id in the caller's business — code `not_found`.");
        if (operation.RequestBody is not null || operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true)
            Add(operation, "400", "A field or parameter is not valid — code `validation_failed`, with `errors` per field.");
        if (method is "POST" or "PUT" or "PATCH" or "DELETE")
            Add(operation, "409", "The current state refuses the change — the `code` says why (e.g. `already_resolved`, "
                + "`locked`, `not_waiting`, `at_capacity`, `window_closed`, `idempotency_key_reused`).");
    }

    /// <summary>Responses already declared (an operation's own refusals) are kept: the generic ones fill the rest.</summary>
    private static void Add(OpenApiOperation operation, string status, string description)
    {
        operation.Responses ??= new OpenApiResponses();
        if (!operation.Responses.ContainsKey(status))
            operation.Responses[status] = new OpenApiResponse { Description = description };
    }
}

/// <summary>The refusal codes an operation can answer with (endpoint metadata, set by
/// <see cref="RefusalsExtensions.Refuses{TBuilder}"/>), listed in the OpenAPI document under their statuses.</summary>
public sealed record Refusals(string[] Codes);

public static class RefusalsExtensions
{
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, params string[] codes)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new Refusals(codes));
}
