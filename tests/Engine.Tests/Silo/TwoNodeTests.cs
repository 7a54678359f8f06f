using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>Two engine nodes on one database, as behind a load balancer.</summary>
public class TwoNodeTests : EngineFixture
{
    public EngineHost Second { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Second = new EngineHost(Db.ConnectionString, Clock, nodeId: "node-b");
    }

    public override async Task DisposeAsync()
    {
        await Second.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_messages_to_one_conversation_through_two_nodes_are_neither_lost_nor_doubled()
    {
        const string phone = "5511900001111";
        var nodes = new[] { Host.CreateClient(), Second.CreateClient() };
        var posts = Enumerable.Range(0, 60).Select(i =>
            Wa.PostAsync(nodes[i % 2], WhatsAppChannel, Wa.TextDelivery(phone, $"wamid.two-nodes-{i}", 1760000000 + i, $"message {i}")));
        var responses = await Task.WhenAll(posts);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        Assert.Equal(1, await Db.CountAsync("from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone)));
        Assert.Equal(60, await Db.CountAsync("from messages m join contacts c on c.id = m.contact_id where c.external_id = @p", ("p", phone)));
        Assert.Equal(60, await Db.ScalarAsync<int>("select v.message_count from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone)));
        Assert.Equal(60, await Db.CountAsync("from entity_events e join conversations v on v.id = e.entity_id join contacts c on c.id = v.contact_id where c.external_id = @p and e.type = 'message.received'", ("p", phone)));
    }

    [Fact]
    public async Task The_same_batch_posted_to_both_nodes_at_once_is_stored_once()
    {
        var phones = Enumerable.Range(0, 10).Select(i => $"55119000022{i:00}").ToList();
        var body = Wa.Envelope("[" + string.Join(",", phones.Select(p => Wa.Contact(p, "C"))) + "]",
            "[" + string.Join(",", phones.SelectMany((p, i) => Enumerable.Range(0, 3).Select(k => Wa.Text(p, $"wamid.dup-{i}-{k}", 1760000000 + k, "x")))) + "]");
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Wa.PostAsync((i % 2 == 0 ? Host : Second).CreateClient(), WhatsAppChannel, body)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(30, await Db.CountAsync("from messages where provider_message_id like 'wamid.dup-%'"));
        Assert.Equal(10, await Db.CountAsync("from conversations v join contacts c on c.id = v.contact_id where c.external_id = any(@p)", ("p", phones.ToArray())));
        Assert.Equal(30, await Db.ScalarAsync<long>("select sum(v.message_count) from conversations v join contacts c on c.id = v.contact_id where c.external_id = any(@p)", ("p", phones.ToArray())));
    }

    [Fact]
    public async Task Every_node_is_an_active_silo_of_one_Orleans_cluster()
    {
        Second.CreateClient();
        var silos = (await Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/nodes"))!;
        Assert.Equal(2, silos.Count(s => s.GetProperty("status").GetString() == "Active"));
        Assert.All(silos.Where(s => s.GetProperty("status").GetString() == "Active"),
            s => Assert.True(s.GetProperty("activations").GetInt32() >= 0));
        Assert.Equal(2, silos.Select(s => s.GetProperty("address").GetString()).Distinct().Count());
        Assert.Equal(["node-a", "node-b"], silos.Where(s => s.GetProperty("status").GetString() == "Active")
            .Select(s => s.GetProperty("name").GetString()!).Order().ToArray());

        // Seen from the second node too: one cluster, not two.
        var fromSecond = await Second.Admin().GetFromJsonAsync<JsonElement[]>("/api/v1/nodes");
        Assert.Equal(silos.Select(s => s.GetProperty("address").GetString()).Order(),
            fromSecond!.Select(s => s.GetProperty("address").GetString()).Order());
    }
}
