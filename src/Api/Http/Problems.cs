using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Http;

/// <summary>RFC 9457 problem details with a machine-readable <c>code</c>, the one shape every error takes.</summary>
public static class Problems
{
    public static ProblemHttpResult Of(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: Title(status),
            extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is not valid.",
            extensions: new Dictionary<string, object?> { ["code"] = "validation_failed" });

    public static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult NotFound(string what, Guid id) => Of(404, "not_found", $"No {what} with id {id}.");

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Payload too large",
        415 => "Unsupported media type",
        422 => "Unprocessable",
        429 => "Too many requests",
        _ => "Error",
    };
}

/// <summary>Collects field errors for one request; empty means valid.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public Validation Require(bool ok, string field, string message)
    {
        if (!ok) (_errors.TryGetValue(field, out var l) ? l : _errors[field] = []).Add(message);
        return this;
    }

    public bool IsValid => _errors.Count == 0;
    public ValidationProblem Problem() => Problems.Invalid(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
