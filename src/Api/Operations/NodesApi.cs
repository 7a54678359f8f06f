using Engine.Api.Access;
using Engine.Silo.Membership;

namespace Engine.Api.Operations;

/// <summary>For operators: the engine nodes sharing this database, and whether each is alive.</summary>
public static class NodesApi
{
    public static void MapNodes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/nodes", async (NodeRegistry nodes, CancellationToken ct) => TypedResults.Ok(await nodes.ListAsync(ct)))
            .WithTags("Operations").RequireAuthorization(Permissions.Operate)
            .WithSummary("Nodes with their last heartbeat; a node is alive when it beat within 30 s and has not stopped.");
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).WithTags("Operations").AllowAnonymous();
    }
}
