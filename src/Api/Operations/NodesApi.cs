using Engine.Api.Access;
using Engine.Silo.Hosting;

namespace Engine.Api.Operations;

/// <summary>For operators: the silos of the Orleans cluster, as its membership table records them.</summary>
public static class NodesApi
{
    public static void MapNodes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/nodes", async (ClusterView cluster) => TypedResults.Ok(await cluster.SilosAsync()))
            .WithTags("Operations").RequireAuthorization(Permissions.Operate)
            .WithSummary("Silos of the Orleans cluster: address, Orleans status (Active, Joining, ShuttingDown, "
                + "Dead…), name, host, start and last I-am-alive times, and activations (active silos only).");
        app.MapEngineHealth();
    }
}
