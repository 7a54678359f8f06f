using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.Automation;
using Engine.Silo.Automation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Automation;

public sealed record BotFlowRequest(string? Key, string? Name, IReadOnlyList<string>? EntryKeywords, FlowDefinition? Definition, bool Enabled = true);

/// <summary>Chatbot QA flows: small trees of questions with button or numbered answers and layered answers. Saving makes a new version.</summary>
public static class BotFlowsApi
{
    public static void MapBotFlows(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/bot-flows").WithTags("Automation");
        g.MapPost("/", Save).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Save a flow (a new version of its key). Conversations already in the flow finish the version they started.");
        g.MapGet("/", async (HttpContext h, BotFlows f, CancellationToken ct) => TypedResults.Ok(await f.LatestAsync(h.User.BusinessId(), ct)))
            .RequireAuthorization(Permissions.ReadTeam);
        g.MapGet("/{key}/versions", async (string key, HttpContext h, BotFlows f, CancellationToken ct) => TypedResults.Ok(await f.VersionsAsync(h.User.BusinessId(), key, ct)))
            .RequireAuthorization(Permissions.ReadTeam);
    }

    private static async Task<Results<Created<BotFlow>, ValidationProblem>> Save(BotFlowRequest r, HttpContext http, BotFlows flows, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.Key is { Length: > 0 and <= 50 } && r.Key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'), "key", "1–50 letters, digits, '-' or '_'.")
            .Require(!string.IsNullOrWhiteSpace(r.Name) && r.Name.Length <= 100, "name", "Required, at most 100 characters.")
            .Require(r.EntryKeywords is { Count: > 0 }, "entryKeywords", "The words that start the flow.")
            .Require(r.Definition is not null, "definition", "Required: start node and nodes.");
        if (r.Definition is not null) foreach (var e in QaFlow.Validate(r.Definition)) v.Require(false, "definition", e);
        if (!v.IsValid) return v.Problem();
        var flow = await flows.SaveAsync(http.User.Actor(), r.Key!, r.Name!.Trim(), r.EntryKeywords!, r.Definition!, r.Enabled, ct);
        return TypedResults.Created($"/api/v1/bot-flows/{flow.Key}/versions", flow);
    }
}
