using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>Two engine nodes assigning at once: 200 conversations, 10 agents.</summary>
public class AssignmentConcurrencyTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task No_conversation_twice_no_agent_over_the_limit_every_conversation_assigned_or_queued()
    {
        await using var second = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "node-b");
        var agents = new List<Guid>();
        for (var i = 0; i < 10; i++) agents.Add((await TeamFixture.AgentAsync(f, $"Agent {i}")).Id);
        await TeamFixture.TeamAsync(f, "Everyone", "least_open", agents, isDefault: true);

        var nodes = new[] { f.Host.CreateClient(), second.CreateClient() };
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds();
        var posts = Enumerable.Range(0, 200).Select(i =>
            Wa.PostAsync(nodes[i % 2], f.WhatsAppChannel, Wa.TextDelivery($"669{i:00000000}", $"wamid.conc-{i}", ts, "hello")));
        Assert.All(await Task.WhenAll(posts), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        // Both nodes' dispatchers work the offers at the same time.
        await Task.WhenAll(f.DrainAsync(f.Host.Service<OutboxDispatcher>()), f.DrainAsync(second.Services.GetService(typeof(OutboxDispatcher)) as OutboxDispatcher));

        var assigned = await f.Db.CountAsync("from conversations where assignee_id is not null and status = 'open'");
        var queued = await f.Db.CountAsync("from conversations where assignee_id is null and team_id is not null and status = 'open'");
        Assert.Equal(200, assigned + queued);
        Assert.Equal(40, assigned); // 10 agents × 80% of 5
        Assert.Equal(0, await f.Db.CountAsync("""
            from (select entity_id from entity_events where type = 'conversation.assigned' group by entity_id having count(*) > 1) twice
            """));
        Assert.Equal(0, await f.Db.CountAsync("""
            from users u where (select count(*) from conversations c where c.assignee_id = u.id and c.status = 'open') > 4
            """));
    }
}
