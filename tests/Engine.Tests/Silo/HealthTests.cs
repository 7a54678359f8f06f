using System.Net;
using System.Text.Json;
using Engine.Silo.Hosting;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>What an operator's load balancer and orchestrator ask a node: is the process up, and can it serve — the
/// database, the schema, its silo in the cluster — and a node that is shutting down says no first.</summary>
public class HealthTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string path)
    {
        var r = await client.GetAsync(path);
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task Ready_needs_the_database_every_migration_and_an_active_silo_and_live_needs_only_the_process()
    {
        var client = f.Host.CreateClient();   // no credentials: health is for load balancers
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/health/live")).Status);
        var (status, body) = await GetAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var check in new[] { "postgresql", "migrations", "cluster", "draining" })
            Assert.Equal("healthy", body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());

        // A node on a database that lacks one of its migrations is not ready, and says which.
        var (version, name) = (await f.Db.ScalarAsync<int>("select max(version) from schema_migrations"),
            await f.Db.ScalarAsync<string>("select name from schema_migrations order by version desc limit 1"));
        await f.Db.ExecAsync("delete from schema_migrations where version = @v", ("v", version));
        try
        {
            (status, body) = await GetAsync(client, "/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains(version.ToString(), body.GetProperty("checks").GetProperty("migrations").GetProperty("description").GetString());
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/health/live")).Status);
        }
        finally
        {
            await f.Db.ExecAsync("insert into schema_migrations (version, name) values (@v, @n)", ("v", version), ("n", name));
        }
    }

    [Fact]
    public async Task A_node_shutting_down_turns_not_ready_first_and_keeps_serving_while_it_drains()
    {
        var node = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "leaving",
            settings: new Dictionary<string, string> { ["Engine:Shutdown:DrainDelay"] = "00:00:02" });
        var client = node.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/health/ready")).Status);

        var stopping = node.StopGracefullyAsync();
        await node.Service<NodeDrain>().Begun;
        var (status, body) = await GetAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unhealthy", body.GetProperty("checks").GetProperty("draining").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/health/live")).Status);
        Assert.Equal(HttpStatusCode.OK, (await node.Admin().GetAsync("/api/v1/channels")).StatusCode);   // still serving
        await stopping;
        await node.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(f.Host.CreateClient(), "/health/ready")).Status);   // the others stay
    }
}
